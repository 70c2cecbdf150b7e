"""samconfig.toml builds the source template and deploys the built one; the static pages work under the site's CSP."""

from __future__ import annotations

import re
import shlex
import tomllib
from html.parser import HTMLParser

import yaml

import rules as R

SAMCONFIG = R.REPO / "samconfig.toml"
WEB = R.REPO / "infra" / "web"


def _config() -> dict:
    return tomllib.loads(SAMCONFIG.read_text())["default"]


def test_samconfig_builds_the_source_template_and_deploys_the_built_one():
    c = _config()
    assert c["build"]["parameters"]["template_file"] == "infra/template.yaml"
    deploy = c["deploy"]["parameters"]
    assert deploy["template_file"] == ".aws-sam/build/template.yaml"
    assert "template_file" not in c["global"]["parameters"], "a global template_file would make deploy use the source"
    assert deploy["capabilities"] == "CAPABILITY_NAMED_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True
    assert c["global"]["parameters"]["region"] == "eu-west-2"


def test_samconfig_parameters_are_template_parameters_and_the_rest_have_defaults():
    t = R.load()
    params = t["Parameters"]
    overrides = dict(kv.split("=", 1) for kv in shlex.split(_config()["deploy"]["parameters"]["parameter_overrides"]))
    assert set(overrides) <= set(params)
    asked = {p for p in params if "Default" not in params[p]} - set(overrides)
    # Only what no default can know: the sending identity and address, and who is told about alarms.
    assert asked == {"SesIdentity", "SesFromAddress", "OperatorEmail"}
    for name, value in overrides.items():
        allowed = params[name].get("AllowedValues")
        if allowed:
            assert value in [str(a) for a in allowed], name
        pattern = params[name].get("AllowedPattern")
        if pattern:
            assert re.fullmatch(pattern, value), name


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _page(name: str) -> _Page:
    p = _Page()
    p.feed((WEB / name).read_text())
    return p


def test_the_report_form_posts_to_reports_without_javascript():
    page = _page("index.html")
    forms = [a for t, a in page.tags if t == "form"]
    assert forms == [{"method": "post", "action": "/reports", "accept-charset": "utf-8"}]
    # One script: the quick exit's own file (the page works without it).
    assert [a for t, a in page.tags if t == "script"] == [{"src": "/quick-exit.js", "defer": None}]
    assert any(t == "button" and a.get("type") == "submit" for t, a in page.tags)


def test_the_pages_load_under_default_src_self():
    for f in WEB.glob("*.html"):
        text = f.read_text()
        assert "<style" not in text and "<script>" not in text, f.name
        assert not re.search(r"\son\w+=", text), f"{f.name}: inline event handler"
        assert not re.search(r"\sstyle=", text), f"{f.name}: inline style"
        # The one address of another site is the quick exit's: a link to leave by, never a resource.
        outside = re.sub(r'<a id="quick-exit" class="exit" href="https://[^"]+"', "", text)
        assert not re.search(r"(src|href)=\"(https?:)?//", outside), f"{f.name}: a resource from another origin"
        for _, attrs in _page(f.name).tags:
            if attrs.get("rel") == "stylesheet":
                assert (WEB / attrs["href"].lstrip("/")).is_file(), attrs["href"]
            if "src" in attrs:
                assert (WEB / attrs["src"].lstrip("/")).is_file(), attrs["src"]


def test_every_form_field_is_one_the_api_takes():
    spec = yaml.safe_load((R.REPO / "infra" / "openapi.yaml").read_text())
    allowed = set(spec["components"]["schemas"]["ReportForm"]["properties"])
    names = {a["name"] for t, a in _page("index.html").tags if t in ("input", "select", "textarea") and "name" in a}
    assert names and names <= allowed, names - allowed
    assert {"incident.date", "incident.town", "incident.categories", "account"} <= names
