"""The app answers on both back ends: health, metrics, the page, and a first sign-up."""

from tests.support.builders import DEMO_ENTERPRISES, VERIFY, load_demo, register, verify_input


async def test_health_metrics_and_page(client):
    # when
    health = await client.http.get("/healthz")
    metrics = await client.http.get("/metrics")
    page = await client.http.get("/")
    # then
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert "xinrong_http_requests_total" in metrics.text
    assert page.status_code == 200 and "信融" in page.text
    assert health.headers["x-request-id"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


async def test_graphql_responses_carry_no_page_policy(client):
    response = await client.http.post("/graphql", json={"query": "{ passwordRule }"})
    assert response.status_code == 200
    assert "content-security-policy" not in response.headers
    assert response.headers["x-frame-options"] == "DENY"


async def test_register_then_verify_demo_enterprise(client, runtime):
    # given
    await load_demo(runtime)
    token = await register(client)
    # when
    result = await client.execute(VERIFY, verify_input(DEMO_ENTERPRISES[0]), token=token)
    # then
    payload = result.data["verifyEnterprise"]
    assert payload["errors"] == []
    assert payload["enterprise"]["uscc"] == DEMO_ENTERPRISES[0].uscc
    assert payload["enterprise"]["legalRepIdNumberMasked"] == "371302********1239"
    assert payload["enterprise"]["regionName"] == "山东省临沂市兰山区"
