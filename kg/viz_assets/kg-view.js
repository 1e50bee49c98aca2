/* kg graph views: legend, filters, search, neighbourhood highlight, tooltip and evidence panel.
 *
 * Every string in the data may come from a document and is untrusted. It reaches the page only through
 * textContent, DOM properties and vis-network's canvas labels: this file never assigns HTML (no innerHTML,
 * insertAdjacentHTML or document.write) and never gives vis-network a `title` (which it would render as HTML).
 */
(function () {
  "use strict";

  var DIM_OPACITY = 0.18, DIM_EDGE_OPACITY = 0.12, DIM_FONT = "#c8c8c8", FONT = "#343434", EDGE_FONT = "#555555";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var info = data.info;
  var container = document.getElementById("kg-network");
  var main = document.getElementById("kg-main");
  var tooltip = document.getElementById("kg-tooltip");
  var panel = document.getElementById("kg-panel");
  var results = document.getElementById("kg-results");
  var searchBox = document.getElementById("kg-search");

  document.getElementById("kg-title").textContent = data.title;

  var baseEdge = {}, edgeById = {};
  data.edges.forEach(function (e) { baseEdge[e.id] = e.color.color; edgeById[e.id] = e; });
  var nodes = new vis.DataSet(data.nodes);
  var edges = new vis.DataSet(data.edges);
  var adjacency = {};
  data.nodes.forEach(function (n) { adjacency[n.id] = []; });
  data.edges.forEach(function (e) { adjacency[e.from].push(e); adjacency[e.to].push(e); });

  var network = new vis.Network(container, { nodes: nodes, edges: edges }, data.options);
  network.once("afterDrawing", function () {
    window.kgDrawnAt = performance.now();
    window.kgReady = true;
    document.body.setAttribute("data-ready", "true");
  });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function classOf(name) {
    for (var i = 0; i < data.classes.length; i++) { if (data.classes[i].name === name) { return data.classes[i]; } }
    return { name: name, label: name, color: "#999", glyph: "?" };
  }
  function relationOf(name) {
    for (var i = 0; i < data.relations.length; i++) { if (data.relations[i].name === name) { return data.relations[i]; } }
    return { name: name, label: name, inverse: name, color: "#999" };
  }

  /* ---- legend and filters ---- */
  var hiddenClasses = {}, hiddenRelations = {};
  var classCount = {}, relationCount = {};
  info.forEach(function (i) { classCount[i.cls] = (classCount[i.cls] || 0) + 1; });
  data.edges.forEach(function (e) { relationCount[e.rel] = (relationCount[e.rel] || 0) + 1; });

  function filterBox(parent, item, count, swatch, onChange) {
    var label = el("label");
    var box = el("input");
    box.type = "checkbox";
    box.checked = true;
    box.value = item.name;
    box.setAttribute("data-name", item.name);
    box.addEventListener("change", function () { onChange(item.name, box.checked); });
    label.appendChild(box);
    label.appendChild(swatch);
    label.appendChild(el("span", item.label));
    label.appendChild(el("span", "(" + count + ")", "kg-n"));
    parent.appendChild(label);
  }
  var classFilters = document.getElementById("kg-class-filters");
  data.classes.forEach(function (c) {
    var glyph = el("span", c.glyph, "kg-glyph");
    glyph.style.color = c.color;
    filterBox(classFilters, c, classCount[c.name] || 0, glyph, setClassVisible);
  });
  var relationFilters = document.getElementById("kg-relation-filters");
  data.relations.forEach(function (r) {
    var line = el("span", null, "kg-line");
    line.style.background = r.color;
    filterBox(relationFilters, r, relationCount[r.name] || 0, line, setRelationVisible);
  });
  if (!data.relations.length) { relationFilters.appendChild(el("span", "none in this view", "kg-n")); }

  function nodeHidden(id) { return !!hiddenClasses[info[id].cls]; }
  function edgeHidden(e) { return !!hiddenRelations[e.rel] || nodeHidden(e.from) || nodeHidden(e.to); }
  function applyFilters() {
    var nodeUpdates = [], edgeUpdates = [];
    nodes.forEach(function (n) {
      var h = nodeHidden(n.id);
      if (!!n.hidden !== h) { nodeUpdates.push({ id: n.id, hidden: h }); }
    });
    edges.forEach(function (e) {
      var h = edgeHidden(e);
      if (!!e.hidden !== h) { edgeUpdates.push({ id: e.id, hidden: h }); }
    });
    nodes.update(nodeUpdates);
    edges.update(edgeUpdates);
    if (highlightedId !== null && nodeHidden(highlightedId)) { clearSelection(); } else if (highlightedId !== null) { highlight(highlightedId); }
    updateCount();
  }
  function setClassVisible(name, visible) { if (visible) { delete hiddenClasses[name]; } else { hiddenClasses[name] = true; } syncBox(classFilters, name, visible); applyFilters(); }
  function setRelationVisible(name, visible) { if (visible) { delete hiddenRelations[name]; } else { hiddenRelations[name] = true; } syncBox(relationFilters, name, visible); applyFilters(); }
  function syncBox(parent, name, visible) {
    var boxes = parent.querySelectorAll("input");
    for (var i = 0; i < boxes.length; i++) { if (boxes[i].value === name) { boxes[i].checked = visible; } }
  }
  function visibleNodeIds() { return nodes.getIds({ filter: function (n) { return !n.hidden; } }); }
  function visibleEdgeIds() { return edges.getIds({ filter: function (e) { return !e.hidden; } }); }
  function updateCount() {
    document.getElementById("kg-count").textContent =
      visibleNodeIds().length + " of " + data.nodes.length + " nodes, " +
      visibleEdgeIds().length + " of " + data.edges.length + " relations shown";
  }

  /* ---- neighbourhood highlight ----
   * Dimming is a change of the network-wide defaults (one setOptions call), and only the lit nodes and
   * edges get options of their own: updating every item of a DataSet takes seconds at 5,000 nodes. */
  var highlightedId = null, lit = null, litEdges = null;
  var ownNode = {}, ownEdge = {};  // id -> true (lit) / false (dimmed): the items that carry their own options
  function neighbourhood(id) {
    var set = {}, via = {};
    set[id] = true;
    adjacency[id].forEach(function (e) { if (!edgeHidden(e)) { set[e.from] = true; set[e.to] = true; via[e.id] = true; } });
    return [set, via];
  }
  function nodeLook(on) { return on ? { opacity: 1, font: { color: FONT } } : { opacity: DIM_OPACITY, font: { color: DIM_FONT } }; }
  function edgeLook(e, on) {
    return on ? { color: { color: baseEdge[e.id], opacity: 1 }, font: { color: EDGE_FONT } }
              : { color: { color: baseEdge[e.id], opacity: DIM_EDGE_OPACITY }, font: { color: DIM_FONT } };
  }
  function restyle(wantNode, wantEdge) {
    var nodeUpdates = [], edgeUpdates = [], id, look;
    for (id in wantNode) {
      if (ownNode[id] !== wantNode[id]) { look = nodeLook(wantNode[id]); look.id = Number(id); nodeUpdates.push(look); ownNode[id] = wantNode[id]; }
    }
    for (id in wantEdge) {
      if (ownEdge[id] !== wantEdge[id]) { look = edgeLook(edgeById[id], wantEdge[id]); look.id = Number(id); edgeUpdates.push(look); ownEdge[id] = wantEdge[id]; }
    }
    if (nodeUpdates.length) { nodes.update(nodeUpdates); }
    if (edgeUpdates.length) { edges.update(edgeUpdates); }
  }
  function highlight(id) {
    var found = neighbourhood(id), wantNode = {}, wantEdge = {}, k;
    if (highlightedId === null) {
      network.setOptions({ nodes: nodeLook(false), edges: { color: { opacity: DIM_EDGE_OPACITY }, font: { color: DIM_FONT } } });
    }
    highlightedId = id;
    lit = found[0];
    litEdges = found[1];
    for (k in ownNode) { wantNode[k] = false; }
    for (k in ownEdge) { wantEdge[k] = false; }
    for (k in lit) { wantNode[k] = true; }
    for (k in litEdges) { wantEdge[k] = true; }
    restyle(wantNode, wantEdge);
  }
  function clearHighlight() {
    if (highlightedId === null) { return; }
    highlightedId = null;
    lit = litEdges = null;
    network.setOptions({ nodes: nodeLook(true), edges: { color: { opacity: 1 }, font: { color: EDGE_FONT } } });
    var wantNode = {}, wantEdge = {}, k;
    for (k in ownNode) { wantNode[k] = true; }
    for (k in ownEdge) { wantEdge[k] = true; }
    restyle(wantNode, wantEdge);
  }
  function highlighted() {
    if (lit === null) { return []; }
    return Object.keys(lit).map(Number).sort(function (a, b) { return a - b; });
  }

  /* ---- tooltip (hover) ---- */
  function roleText(i) { return i.roles.length ? i.roles.slice(0, 3).join("; ") : ""; }
  network.on("hoverNode", function (params) {
    var i = info[params.node];
    while (tooltip.firstChild) { tooltip.removeChild(tooltip.firstChild); }
    tooltip.appendChild(el("div", i.label, "kg-tip-label"));
    tooltip.appendChild(el("div", classOf(i.cls).label));
    if (i.roles.length) { tooltip.appendChild(el("div", roleText(i))); }
    if (i.facts.length) {
      var f = i.facts[0];
      tooltip.appendChild(el("div", "\u201c" + f[2] + "\u201d"));
      if (f[3]) { tooltip.appendChild(el("div", "\u2014 " + f[3], "kg-n")); }
      tooltip.appendChild(el("div", i.factCount + " evidence sentence(s); click for " +
                                    (i.factCount > i.facts.length ? "the first " + i.facts.length : "all"), "kg-n"));
    }
    var box = container.getBoundingClientRect(), outer = main.getBoundingClientRect();
    tooltip.style.left = Math.round(box.left - outer.left + params.pointer.DOM.x + 14) + "px";
    tooltip.style.top = Math.round(box.top - outer.top + params.pointer.DOM.y + 14) + "px";
    tooltip.hidden = false;
  });
  network.on("blurNode", function () { tooltip.hidden = true; });
  network.on("dragStart", function () { tooltip.hidden = true; });

  /* ---- side panel (click) ---- */
  function section(title, items) {
    if (!items.length) { return; }
    panel.appendChild(el("h3", title));
    var ul = el("ul");
    items.forEach(function (t) { ul.appendChild(el("li", t)); });
    panel.appendChild(ul);
  }
  function showPanel(id) {
    var i = info[id], c = classOf(i.cls);
    while (panel.firstChild) { panel.removeChild(panel.firstChild); }
    var close = el("button", "\u00d7", "kg-close");
    close.type = "button";
    close.setAttribute("aria-label", "Close");
    close.addEventListener("click", clearSelection);
    panel.appendChild(close);
    panel.appendChild(el("h2", i.label));
    var cls = el("div");
    var glyph = el("span", c.glyph, "kg-glyph");
    glyph.style.color = c.color;
    cls.appendChild(glyph);
    cls.appendChild(el("span", c.label, "kg-class"));
    panel.appendChild(cls);
    panel.appendChild(el("div", i.iri, "kg-iri"));
    if (i.view && /^[a-z0-9-]+\.html$/.test(i.view)) {
      var a = el("a", "Open the view of " + i.label);
      a.href = i.view;
      panel.appendChild(a);
    }
    section("Roles", i.roles);
    section("Also called", i.alt);
    section("Details", i.details.map(function (d) { return d[0] + ": " + d[1]; }));
    section("Relations in this view", adjacency[id].map(function (e) {
      var r = relationOf(e.rel);
      return e.from === id ? r.label + ": " + info[e.to].label : r.inverse + ": " + info[e.from].label;
    }));
    if (i.facts.length) {
      panel.appendChild(el("h3", "Evidence (" + i.factCount + ")"));
      i.facts.forEach(function (f) {
        var box = el("div", null, "kg-fact");
        var head = el("div");
        head.appendChild(el("span", f[0] + " ", "kg-rel"));
        head.appendChild(el("span", f[1]));
        box.appendChild(head);
        box.appendChild(el("blockquote", f[2]));
        if (f[3]) { box.appendChild(el("cite", f[3])); }
        panel.appendChild(box);
      });
      if (i.factCount > i.facts.length) {
        panel.appendChild(el("p", (i.factCount - i.facts.length) + " more not shown (" +
                              (i.view ? "its own view shows more; " : "") + "kg explain gives them all)", "kg-n"));
      }
    }
    panel.hidden = false;
    panel.setAttribute("data-node", String(id));
  }
  function select(id) {
    if (nodeHidden(id)) { setClassVisible(info[id].cls, true); }
    network.selectNodes([id]);
    highlight(id);
    showPanel(id);
  }
  function clearSelection() {
    network.unselectAll();
    clearHighlight();
    panel.hidden = true;
    panel.removeAttribute("data-node");
  }
  network.on("click", function (params) {
    tooltip.hidden = true;
    if (params.nodes.length) { select(params.nodes[0]); } else { clearSelection(); }
  });

  /* ---- search ---- */
  function fold(s) { return String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  var keys = info.map(function (i) { return [i.label].concat(i.alt).map(fold); });
  function search(query) {
    var q = fold(query).trim();
    if (!q) { return []; }
    var found = [];
    keys.forEach(function (k, id) {
      var rank = -1;
      k.forEach(function (s) {
        var at = s.indexOf(q);
        if (at === 0) { rank = 0; } else if (at > 0 && rank !== 0) { rank = 1; }
      });
      if (rank >= 0) { found.push([rank, fold(info[id].label), id]); }
    });
    found.sort(function (a, b) { return a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]); });
    return found.map(function (f) { return f[2]; });
  }
  function showResults() {
    while (results.firstChild) { results.removeChild(results.firstChild); }
    search(searchBox.value).slice(0, 30).forEach(function (id) {
      var li = el("li"), b = el("button", info[id].label + " \u2014 " + classOf(info[id].cls).label);
      b.type = "button";
      b.setAttribute("data-node", String(id));
      b.addEventListener("click", function () { choose(id); });
      li.appendChild(b);
      results.appendChild(li);
    });
  }
  function choose(id) {
    while (results.firstChild) { results.removeChild(results.firstChild); }
    select(id);
    network.focus(id, { scale: Math.max(network.getScale(), 1), animation: false });
  }
  searchBox.addEventListener("input", showResults);
  document.getElementById("kg-search-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var found = search(searchBox.value);
    if (found.length) { choose(found[0]); }
  });

  updateCount();
  if (data.focus !== null && data.focus !== undefined) { showPanel(data.focus); network.selectNodes([data.focus]); }

  window.kgView = {
    network: network, nodes: nodes, edges: edges, data: data,
    search: search, select: select, clear: clearSelection, highlighted: highlighted,
    setClassVisible: setClassVisible, setRelationVisible: setRelationVisible,
    visibleNodeIds: visibleNodeIds, visibleEdgeIds: visibleEdgeIds
  };
})();
