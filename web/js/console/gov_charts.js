// gov_charts.js — owns the charts of the government console's statistics: horizontal bar charts
// drawn as SVG with createElementNS (no HTML, no inline styles: sizes are SVG attributes in
// percent of the chart's width, so the text keeps its size on a phone and on a desktop), each
// with its text alternative (role="img" and an aria-label listing every value).

import { el } from "../ui.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const LABEL_HEIGHT = 20;
const BAR_HEIGHT = 14;
const BAR_GAP = 4;
const ROW_GAP = 12;
const BAR_SPAN = 68; // percent of the width the longest bar takes; its value is written after it
const LABEL_MAX = 24; // characters of a label drawn in the chart (the text alternative has all)

function svg(tag, attributes = {}, text = null) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== null) node.textContent = text;
  return node;
}

function shortLabel(text) {
  return text.length > LABEL_MAX ? `${text.slice(0, LABEL_MAX - 1)}…` : text;
}

function describe(title, items, series, format) {
  const parts = items.map((item) => {
    const values = series.map((one, index) => `${series.length > 1 ? one.name : ""}${format(item.values[index])}`);
    return `${item.label}：${values.join("，")}`;
  });
  return `${title}。${parts.join("；")}。`;
}

function legend(series) {
  if (series.length < 2) return null;
  return el(
    "ul",
    { class: "gov-legend" },
    series.map((one, index) => el("li", {}, el("span", { class: `gov-swatch gov-series-${index}`, "aria-hidden": "true" }), one.name)),
  );
}

/**
 * A horizontal bar chart: barChart({title, items: [{label, values: [number…]}], series:
 * [{name}] (one or more values per item), format(value) → text, empty}) → a figure node.
 * When every value is 0 the figure shows `empty` instead of bars.
 */
export function barChart({ title, items, series = [{ name: "" }], format = String, empty = "暂无数据" }) {
  const figure = el("figure", { class: "gov-chart" }, el("figcaption", {}, title));
  const max = Math.max(0, ...items.flatMap((item) => item.values.map(Number)));
  if (items.length === 0 || max <= 0) {
    figure.append(el("p", { class: "empty-state" }, empty));
    return figure;
  }
  const rowHeight = LABEL_HEIGHT + series.length * (BAR_HEIGHT + BAR_GAP) + ROW_GAP;
  const chart = svg("svg", {
    class: "gov-chart-svg",
    width: "100%",
    height: items.length * rowHeight,
    role: "img",
    "aria-label": describe(title, items, series, format),
  });
  items.forEach((item, row) => {
    const top = row * rowHeight;
    chart.append(svg("text", { x: 0, y: top + 14, class: "gov-chart-label" }, shortLabel(item.label)));
    series.forEach((_one, index) => {
      const value = Number(item.values[index]) || 0;
      const width = (value / max) * BAR_SPAN;
      const y = top + LABEL_HEIGHT + index * (BAR_HEIGHT + BAR_GAP);
      chart.append(
        svg("rect", { x: 0, y, width: `${width}%`, height: BAR_HEIGHT, rx: 2, class: `gov-series-${index}` }),
        svg("text", { x: `${width}%`, dx: 6, y: y + BAR_HEIGHT - 2, class: "gov-chart-value" }, format(item.values[index])),
      );
    });
  });
  figure.append(chart);
  const key = legend(series);
  if (key) figure.append(key);
  return figure;
}
