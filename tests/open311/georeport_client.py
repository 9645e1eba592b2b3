"""The platform's Open311 GeoReport v2 endpoint, read by an independent client.

`georeport` (PyPI, Apache-2.0, written by others against the specification) reads discovery-free
endpoints: services, a service definition, requests by filter and a request by id, in JSON
and in XML. Version 0.3.1 has no call that posts, so requests are posted as the specification
describes (form-encoded, with the key) with `requests`, and then read back through georeport.

Run by .ci/run: GRASSROOTS_BIN names the built binary; the script starts the demo itself.
"""

import os
import shutil
import subprocess
import sys
import tempfile

import requests
import xmltodict
from georeport import GeoReport

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from demo_server import BIN, serving  # noqa: E402


def as_list(items):
    """xmltodict gives one element as a dict and several as a list."""
    return items if isinstance(items, list) else [items]


def main():
    data = tempfile.mkdtemp(prefix="grassroots-open311-")
    subprocess.run([BIN, "--data-dir", data, "demo", "--no-serve"], check=True, stdout=subprocess.DEVNULL)
    created = subprocess.run(
        [BIN, "--data-dir", data, "apikey", "create", "--name", "georeport"], check=True, capture_output=True, text=True
    )
    key = created.stdout.strip().splitlines()[-1]
    try:
        with serving(data) as url:
            check(url, key)
    finally:
        shutil.rmtree(data, ignore_errors=True)
    print("georeport client: all checks passed")


def check(url, key):
    """Reads and writes through the endpoint in both formats."""
    base = f"{url}/open311/v2"
    for fmt in ("json", "xml"):
        client = GeoReport(base, api_key=key, output_format=fmt)
        services = as_list(client.get_service_list())
        lights = [s for s in services if s["service_code"] == "0301"]
        assert lights and lights[0]["service_name"] == "路灯", lights
        try:
            client.get_service_definition("0301")
            raise AssertionError("no service has attributes: the definition is not found")
        except requests.HTTPError as e:
            assert e.response.status_code == 404

        posted = requests.post(
            f"{base}/requests.{fmt}",
            data={"api_key": key, "service_code": "0301", "lat": "39.9087", "long": "116.3975", "description": "路灯不亮"},
        )
        assert posted.status_code == 201, posted.text
        if fmt == "json":
            request_id = posted.json()[0]["service_request_id"]
        else:
            request_id = xmltodict.parse(posted.content)["service_requests"]["request"]["service_request_id"]

        one = client.get_service_request(request_id)
        one = as_list(one)[0] if fmt == "xml" else one
        assert one["service_request_id"] == request_id and one["status"] == "open", one
        assert one["service_code"] == "0301" and one["requested_datetime"].endswith("+08:00"), one
        listed = as_list(client.get_service_requests(service_code="0301", status="open"))
        assert request_id in [r["service_request_id"] for r in listed], f"{fmt}: {request_id} not listed"
        by_id = as_list(client.get_service_requests(service_request_id=request_id))
        assert [r["service_request_id"] for r in by_id] == [request_id]
        refused = requests.post(f"{base}/requests.{fmt}", data={"service_code": "0301", "address_string": "x"})
        assert refused.status_code == 403, refused.text
        print(f"{fmt}: {len(services)} services, request {request_id} posted and read back")


if __name__ == "__main__":
    sys.exit(main())
