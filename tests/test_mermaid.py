"""The PR comment's Mermaid diagrams through Mermaid's own parser and renderer, in a real browser.

Each diagram is taken out of the markdown that `icsync plan --output markdown` (the PR comment)
writes, and a local HTML page hands it to `mermaid.parse()` and `mermaid.render()` in headless
Chromium. The page writes what came out into a `<pre id=result>` as JSON, and `--dump-dom` prints
it: for each diagram the error, if any, and the text that each rendered node, subgraph title and
edge label shows a reader. The test then asserts that every diagram rendered and that every name,
however hostile, is shown exactly as it is (not cut, not read as HTML, math, a comment or a
directive, not left as an entity code).

Mermaid: the npm package `mermaid` (its self-contained `dist/mermaid.min.js`), Chromium: Debian's
package `chromium`, both installed by .ci/run. The page loads only that file and itself: its
Content-Security-Policy allows no other source. Chromium resolves no host name, and runs in a
network namespace of its own with no network where the machine allows one (Chromium still tries
its own background requests despite the flags; they go nowhere).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from gitsync.capacity import Amount, Capacity, EndpointCapacity, Placed
from gitsync.plan import Action, ComponentChange, Plan
from gitsync.views.capacity_view import MERMAID_DETAIL_LIMIT, markdown
from tests.helpers import Live, icsync, project_of

ROOT = Path(__file__).resolve().parent.parent
MERMAID_JS = ROOT / ".ci" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
QUICKSTART = ROOT / "examples" / "quickstart"

# Names no AWS name pattern allows, but the diagram must survive them all the same: quotes and
# brackets that end a label, Mermaid keywords, HTML, entities (Mermaid's and HTML's), comments and
# directives (`%%`), KaTeX math (`$$`), markdown strings (backticks), Mermaid's own entity
# placeholders, `style`/`classDef` lines, unicode, a newline (shown as a space: a label is a line).
HOSTILE = [
    'say "hi"', "it's", "a[b]c", "(paren)", "{curly}", "end", "graph", "subgraph", "flowchart",
    "<b>bold</b>", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a<br/>b",
    "#quot;", "#35;", "&lt;tag&gt;", "&amp;", "a & b", "%% comment", "x %%{init: {'theme':'dark'}}%%",
    "$$x^2$$", "`code`", "**bold** _it_", "a|b", "a;b", "a:::cls", "a --> b", "a\\b",
    "ünïcødé-名前-🚀", "ﬂ°°35¶ß", "trailing space ", "multi\nline", "click", "style", "classDef",
    "style:x#y", "classDef c fill:#f00;", "a\tb",
]

# What Mermaid itself puts in a label: an HTML label in a foreignObject, the `<br/>` of ours.
LABEL_ELEMENTS = {"foreignObject", "div", "span", "p", "br", "rect", "g"}

# Every flag keeps Chromium off the network: no background fetches, no component updates, no
# sync, no first-run pages, and no host name resolves (a page could still name 127.0.0.1, and the
# page's Content-Security-Policy allows nothing but its own file and Mermaid's).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
    "--disable-domain-reliability", "--no-pings", "--host-resolver-rules=MAP * ~NOTFOUND",
    # --dump-dom prints the DOM once the page has loaded and this much virtual time has passed
    # with nothing left to do: Mermaid's rendering is asynchronous, and ends well within it.
    "--virtual-time-budget=60000",
]


def no_network() -> list[str]:
    """A prefix that runs Chromium in a network namespace of its own, with no network at all (not
    even a route out), where this machine allows one; the flags above stand guard either way."""
    unshare = shutil.which("unshare")
    for prefix in ([unshare, "--net"], [unshare, "--net", "--map-root-user"]) if unshare else ():
        if subprocess.run([*prefix, "true"], capture_output=True, check=False).returncode == 0:
            return prefix
    return []


PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src file: 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:">
</head><body><pre id="result">not run</pre><div id="out"></div>
<script src="MERMAID_URL"></script>
<script>
const diagrams = DIAGRAMS;
const text = (el) => (el ? el.textContent : null);
(async () => {
  const results = {};
  try {
    mermaid.initialize({startOnLoad: false});
    let n = 0;
    for (const [key, source] of Object.entries(diagrams)) {
      const one = {error: null, parsed: false, nodes: [], clusters: [], edges: []};
      results[key] = one;
      try {
        one.parsed = Boolean(await mermaid.parse(source));
        const {svg} = await mermaid.render("diagram" + n++, source);
        const holder = document.createElement("div");
        holder.innerHTML = svg;
        document.getElementById("out").appendChild(holder);
        one.nodes = [...holder.querySelectorAll("g.node")].map((g) => text(g.querySelector(".label")));
        one.clusters = [...holder.querySelectorAll("g.cluster")].map((g) => text(g.querySelector(".cluster-label")));
        one.edges = [...holder.querySelectorAll("g.edgeLabel")].map(text);
        one.elements = [...holder.querySelectorAll(".label *, .cluster-label *")].map((e) => e.localName);
        one.syntax_error = svg.includes("Syntax error");
      } catch (e) {
        one.error = String((e && e.message) || e);
      }
    }
  } catch (e) {
    results["(page)"] = {error: String((e && e.message) || e)};
  }
  document.getElementById("result").textContent = JSON.stringify(results);
})();
</script></body></html>
"""


def missing_tool(reason: str) -> None:
    """Skip when a tool is absent here; under .ci/run (ICSYNC_REQUIRE_LINTERS=1) fail instead."""
    if os.environ.get("ICSYNC_REQUIRE_LINTERS"):
        pytest.fail(reason + " (ICSYNC_REQUIRE_LINTERS is set: .ci/run should have installed it)")
    pytest.skip(reason)


def diagrams_in(comment: str) -> list[str]:
    return re.findall(r"^```mermaid\n(.*?)^```$", comment, flags=re.DOTALL | re.MULTILINE)


def render(diagrams: dict[str, str], tmp: Path) -> dict[str, dict[str, Any]]:
    """Each diagram through mermaid.parse() and mermaid.render() in headless Chromium."""
    chromium = shutil.which("chromium")
    if chromium is None:
        missing_tool("chromium is not installed (.ci/run installs it; locally: apt-get install chromium)")
    if not MERMAID_JS.is_file():
        missing_tool("the npm package mermaid is not installed: npm install --prefix .ci mermaid@11.17.2")
    # JSON in a <script>: `</` could close the element, so it is written `<\\/`.
    data = json.dumps(diagrams).replace("</", "<\\/")
    page = tmp / "mermaid.html"
    page.write_text(PAGE.replace("MERMAID_URL", MERMAID_JS.as_uri()).replace("DIAGRAMS", data),
                    encoding="utf-8")
    done = subprocess.run([*no_network(), str(chromium), *CHROMIUM_FLAGS, f"--user-data-dir={tmp / 'profile'}",
                           "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=180, check=False,
                          env={**os.environ, "HOME": str(tmp)})
    found = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, flags=re.DOTALL)
    assert done.returncode == 0 and found, f"chromium: {done.returncode}\n{done.stderr[-3000:]}"
    body = html.unescape(found.group(1))  # the <pre>'s text, as --dump-dom serialised it
    assert body != "not run", "the page's script did not run: " + done.stderr[-3000:]
    results: dict[str, dict[str, Any]] = json.loads(body)
    assert "(page)" not in results, results["(page)"]
    return results


def seen(texts: list[str]) -> list[str]:
    """The labels as a reader sees them: without the invisible word joiners (after `$`, `ﬂ`, `¶`)."""
    return sorted(t.replace("\u2060", "") for t in texts)


def shown(name: str) -> str:
    """A name as its label should show it: a newline or tab as a space, the rest as it is."""
    return re.sub(r"\s", " ", name)


def assert_rendered(result: dict[str, Any]) -> None:
    assert result["error"] is None, result["error"]
    assert result["parsed"] and not result["syntax_error"]


def endpoint(name: str, components: list[Placed], variant: str = "AllTraffic",
             instance_type: str = "ml.g5.xlarge") -> EndpointCapacity:
    return EndpointCapacity(endpoint=name, variant=variant, instance_type=instance_type,
                            per_instance=Amount(1, 4, 16384), current_count=1, max_count=3,
                            components=tuple(components))


def plan_of(names: list[str]) -> Plan:
    return Plan(environment="dev", project="p", changes=tuple(
        ComponentChange(name=n, endpoint="ep", action=Action.CREATE, reason="new") for n in names))


def test_the_quickstarts_comment_renders_in_mermaid(tmp_path: Path) -> None:
    """The PR comment of the quickstart's first plan: subgraph, nodes, the adapter's edge."""
    root = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, root, ignore=shutil.ignore_patterns(".icsync"))
    comment = icsync("plan", "-C", root, "--env", "dev", "--sandbox", "--output", "markdown")
    assert comment.code == 0, comment.all
    [diagram] = diagrams_in(comment.out)
    result = render({"quickstart": diagram}, tmp_path)["quickstart"]
    assert_rendered(result)
    assert result["clusters"] == ["dev-llm-endpoint / AllTraffic (ml.g5.xlarge x1)"]
    assert sorted(result["nodes"]) == ["dev-embedder1 copy, create", "dev-llm-support-adapteradapter, create",
                                       "dev-llm1 copy, create"]
    assert result["edges"] == ["adapter of"]


def test_hostile_names_render_exactly_as_they_are(tmp_path: Path) -> None:
    """Each hostile string as a component, an adapter of it, its endpoint, variant and type."""
    diagrams: dict[str, str] = {}
    for n, name in enumerate(HOSTILE):
        components = [Placed(name, 1, Amount(1, 1, 1024)),
                      Placed(name + " adapter", 1, Amount(), base=name),
                      Placed("plain", 2, Amount(0, 1, 1024), managed=False)]
        capacity = Capacity(endpoints=(endpoint(name, components, variant=name, instance_type=name),))
        [diagrams[str(n)]] = diagrams_in(markdown(plan_of([name, name + " adapter"]), capacity))
    results = render(diagrams, tmp_path)
    for n, name in enumerate(HOSTILE):
        result, name = results[str(n)], shown(name)
        assert_rendered(result)
        assert seen(result["clusters"]) == [f"{name} / {name} ({name} x1)"], name
        assert seen(result["nodes"]) == sorted([f"{name}1 copy, create", f"{name} adapteradapter, create",
                                                "plain2 copies, unmanaged"]), name
        assert result["edges"] == ["adapter of"], name
        # Only the diagram's own <br/> became an element: no name was read as HTML.
        assert set(result["elements"]) <= LABEL_ELEMENTS, (name, result["elements"])
        assert result["elements"].count("br") == 3, (name, result["elements"])


def test_names_that_differ_only_in_punctuation_stay_separate_nodes(tmp_path: Path) -> None:
    names = ["a-b", "a_b", "a.b", "a b", "end", "End", "n_a_b"]
    components = [Placed(n, 1, Amount(0, 1, 1024)) for n in names]
    capacity = Capacity(endpoints=(endpoint("ep", components),))
    [diagram] = diagrams_in(markdown(plan_of(names), capacity))
    result = render({"one": diagram}, tmp_path)["one"]
    assert_rendered(result)
    assert sorted(result["nodes"]) == sorted(f"{n}1 copy, create" for n in names)


def test_a_plan_above_the_detail_limit_renders_one_node_per_endpoint(tmp_path: Path,
                                                                     live: Live) -> None:
    """Above 30 components the comment's diagram is one summary node per endpoint."""
    live.seed_endpoint()
    names = [f"c{n:02}" for n in range(MERMAID_DETAIL_LIMIT + 1)]
    comment = icsync("plan", "-C", project_of(tmp_path / "p", names), "--env", "dev",
                     "--endpoint-url", live.url, "--output", "markdown")
    assert comment.code == 0, comment.all
    [big] = diagrams_in(comment.out)
    # Hostile endpoints above the limit: many endpoints, each a summary node.
    rows = [endpoint(f'{name} #{n}', [Placed(f"c{n}-{k}", 1, Amount(0, 1, 1024)) for k in range(3)],
                     variant=name) for n, name in enumerate(HOSTILE)]
    capacity = Capacity(endpoints=tuple(rows))
    planned = [p.name for row in rows for p in row.components][::2]
    [hostile] = diagrams_in(markdown(plan_of(planned), capacity))
    results = render({"big": big, "hostile": hostile}, tmp_path)
    assert_rendered(results["big"])
    assert results["big"]["clusters"] == [] and len(results["big"]["nodes"]) == 1
    assert results["big"]["nodes"][0].endswith("31 components: 31 create")
    assert_rendered(results["hostile"])
    assert results["hostile"]["clusters"] == []
    assert len(results["hostile"]["nodes"]) == len(HOSTILE)
    expected = []
    for row in rows:
        counts = sorted(("create" if p.name in planned else "unmanaged") for p in row.components)
        tally = ", ".join(f"{counts.count(a)} {a}" for a in sorted(set(counts)))
        title = shown(f"{row.endpoint} / {row.variant} ({row.instance_type} x1)")
        expected.append(f"{title}3 components: {tally}")
    assert seen(results["hostile"]["nodes"]) == sorted(expected)
