"""Self-declared data under a credit commitment (自愿填报 + 信用承诺)."""
