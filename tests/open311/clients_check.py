"""The platform's Open311 GeoReport v2 endpoint, used by two independent clients from PyPI.

- `three` 0.8.0 (Code for America's GeoReport v2 wrapper) writes and reads: it posts requests
  (form-encoded, with the key, the reporter's name, phone and email) and reads them back, with
  the service list, discovery and tokens. It was written for Python 2; .ci/run converts the
  installed copy with the standard library's 2to3, which changes only Python 2 idioms.
- `georeport` 0.3.1 (written by others against the specification) reads: services, a service
  definition, requests by filter and a request by id.

Both run in JSON and in XML. Run by .ci/run: GRASSROOTS_BIN names the built binary; the script
starts the demo itself.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import requests
import three
from georeport import GeoReport

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from demo_server import BIN, serving  # noqa: E402


def as_list(items):
    """XML gives one element as a dict and several as a list."""
    return items if isinstance(items, list) else [items]


def main():
    data = tempfile.mkdtemp(prefix="grassroots-open311-")
    subprocess.run([BIN, "--data-dir", data, "demo", "--no-serve"], check=True, stdout=subprocess.DEVNULL)

    def new_key(*flags):
        created = subprocess.run(
            [BIN, "--data-dir", data, "apikey", "create", "--name", "open311-client", *flags],
            check=True,
            capture_output=True,
            text=True,
        )
        return created.stdout.strip().splitlines()[-1]

    keys = {"writer": new_key(), "reader": new_key("--read-only")}
    try:
        with serving(data) as url:
            base = f"{url}/open311/v2"
            for fmt in ("json", "xml"):
                request_id = write_with_three(base, keys, fmt)
                read_with_georeport(base, keys["reader"], fmt, request_id)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print("Open311 clients: all checks passed")


def write_with_three(base, keys, fmt):
    """Posts through `three` and reads the request back with it; returns the new request's id."""
    client = three.Three(base, api_key=keys["writer"], format=fmt)
    # In XML, three hands back what is inside the root element: {"request": one or several}.
    unwrap = (lambda d: d) if fmt == "json" else (lambda d: as_list(next(iter(d.values()))))

    discovery = client.discovery()
    assert "endpoints" in discovery, discovery

    services = unwrap(client.services())
    assert any(s["service_code"] == "0301" and s["service_name"] == "路灯" for s in services), services

    posted = client.post(
        "0301",
        lat="39.9087",
        long="116.3975",
        description=f"天安门东侧路灯不亮（{fmt}）",
        name="张 三",
        phone="13800138000",
        email="zhang.san@example.cn",
    )
    assert client.post_response.status_code == 201, client.post_response.text
    request_id = unwrap(posted)[0]["service_request_id"]
    assert "已受理" in unwrap(posted)[0]["service_notice"], posted

    one = unwrap(client.request(request_id))[0]
    assert one["service_request_id"] == request_id and one["status"] == "open", one
    assert one["service_code"] == "0301" and one["requested_datetime"].endswith("+08:00"), one
    # Personal data stays out of the public record (DESIGN §7), whatever the client sent.
    assert "13800138000" not in client._request.text and "zhang.san" not in client._request.text

    listed = unwrap(client.requests("0301", status="open"))
    assert request_id in [r["service_request_id"] for r in listed], f"{fmt}: {request_id} not listed"

    # Bad input gets the specification's error list and changes nothing.
    before = len(unwrap(client.requests("0301")))
    reader = three.Three(base, api_key=keys["reader"], format=fmt)
    refused = reader.post("0301", address="北京市东城区东华门街道", description="只读的钥匙 / read-only key")
    assert reader.post_response.status_code == 403, reader.post_response.text
    assert "may read" in as_list(unwrap(refused))[0]["description"], refused
    bad = client.post("0301", lat="39.9", description="缺经度 / lat without long")
    assert client.post_response.status_code == 400 and "long" in unwrap(bad)[0]["description"], bad
    client.post("9999", lat="39.9087", long="116.3975", description="no such service")
    assert client.post_response.status_code == 400, client.post_response.text
    client.post("0301", lat="39.9087", long="116.3975", **{"attribute[colour]": "red"})
    assert client.post_response.status_code == 400, client.post_response.text
    assert len(unwrap(client.requests("0301"))) == before, "a refused post was stored"

    token = unwrap(client.token("no-such-token"))
    assert client._request.status_code == 404 and token[0]["code"] in (404, "404"), token
    print(f"three ({fmt}): discovery, {len(services)} services, request {request_id} posted and read back, 4 bad posts refused")
    return request_id


def read_with_georeport(base, key, fmt, request_id):
    """Reads what `three` posted through georeport."""
    client = GeoReport(base, api_key=key, output_format=fmt)
    services = as_list(client.get_service_list())
    assert any(s["service_code"] == "0301" and s["service_name"] == "路灯" for s in services), services
    try:
        client.get_service_definition("0301")
        raise AssertionError("no service has attributes: the definition is not found")
    except requests.HTTPError as e:
        assert e.response.status_code == 404

    one = client.get_service_request(request_id)
    one = as_list(one)[0] if fmt == "xml" else one
    assert one["service_request_id"] == request_id and one["status"] == "open", one
    assert one["status_notes"] == "已受理 / received", one
    # Read without a key (georeport sends its key only with a post): the public view, by day,
    # and without the point of a case with too few of its kind in its community to hide it.
    assert not one.get("description") and one["requested_datetime"].endswith("T00:00:00+08:00"), one
    assert not one.get("lat") and not one.get("long"), one
    by_id = as_list(client.get_service_requests(service_request_id=request_id))
    assert [r["service_request_id"] for r in by_id] == [request_id]
    print(f"georeport ({fmt}): services, request {request_id} read back by id and by filter")


if __name__ == "__main__":
    sys.exit(main())
