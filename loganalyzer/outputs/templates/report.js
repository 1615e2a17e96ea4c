// report.html's behaviour: unpack the embedded libraries, draw the timeline, make the tables interactive.
const byId = (id) => document.getElementById(id);
const readJSON = (id) => JSON.parse(byId(id).textContent);
let details = {};  // incident id → the HTML of its expanded row (embedded compressed)
let incidents = null;  // the DataTables API of the incident table, once ready

async function unpack(id) {
  const bytes = Uint8Array.from(atob(byId(id).textContent.trim()), (c) => c.charCodeAt(0));
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

async function importText(text) {
  const url = URL.createObjectURL(new Blob([text], { type: "text/javascript" }));
  try {
    return await import(url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function toggle(row, open) {
  const show = open ?? !row.child.isShown();
  const node = row.node();
  if (show && !row.child.isShown()) {
    row.child(details[node.dataset.id], "detail-row").show();
  } else if (!show && row.child.isShown()) {
    row.child.hide();
  }
  node.classList.toggle("shown", show);
}

function resetFilters() {
  document.querySelectorAll(".filters select").forEach((s) => { s.value = ""; });
  byId("f-text").value = "";
  incidents.search("").columns().search("");
}

function jumpTo(id) {
  if (!incidents) {
    location.hash = "inc-" + id;
    return;
  }
  const row = incidents.row("#inc-" + CSS.escape(id));
  if (!row.any()) return;
  if (incidents.rows({ search: "applied" }).indexes().indexOf(row.index()) < 0) resetFilters();
  incidents.draw(false);
  const pos = incidents.rows({ search: "applied", order: "applied" }).indexes().indexOf(row.index());
  const len = incidents.page.len();
  if (len > 0) incidents.page(Math.floor(pos / len)).draw(false);
  toggle(row, true);
  const node = row.node();
  node.scrollIntoView({ block: "center" });
  node.classList.add("flash");
  setTimeout(() => node.classList.remove("flash"), 1600);
}

async function tables() {
  details = JSON.parse(await unpack("details"));
  const style = document.createElement("style");
  style.textContent = await unpack("asset-datatables-css");
  document.head.appendChild(style);
  const DataTable = (await importText(await unpack("asset-datatables"))).default;
  const layout = { topStart: "pageLength", topEnd: null, bottomStart: "info", bottomEnd: "paging" };
  incidents = new DataTable("#incidents", {
    order: [[1, "desc"], [6, "asc"]], pageLength: 50, autoWidth: false, layout,
    lengthMenu: [[25, 50, 100, -1], [25, 50, 100, "All"]],
    columnDefs: [{ targets: 0, orderable: false, searchable: false }],
    language: { emptyTable: "No incidents.", zeroRecords: "No incident matches the filters." },
  });
  document.querySelectorAll(".filters select").forEach((select) => {
    select.addEventListener("change", () => {
      const v = select.value;
      incidents.column(Number(select.dataset.col)).search(v ? "^" + escapeRe(v) + "$" : "", true, false).draw();
    });
  });
  byId("f-text").addEventListener("input", (e) => incidents.search(e.target.value).draw());
  byId("incidents").tBodies[0].addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (tr && !e.target.closest("a")) toggle(incidents.row(tr));
  });
  const unmatched = byId("unmatched-table");
  if (unmatched) {
    new DataTable(unmatched, { order: [[0, "desc"]], pageLength: 10, autoWidth: false,
                               lengthMenu: [[10, 25, 100, -1], [10, 25, 100, "All"]] });
  }
}

async function timeline() {
  const spec = readJSON("timeline-spec");
  if (!spec) return;
  await importText(await unpack("asset-vega"));
  const result = await window.vegaEmbed("#timeline", spec, {
    mode: "vega-lite", renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
  });
  result.view.addEventListener("click", (_event, item) => {
    if (item && item.datum && item.datum.id) jumpTo(item.datum.id);
  });
}

document.addEventListener("click", (e) => {
  const link = e.target.closest("a.rel[data-id]");
  if (link) {
    e.preventDefault();
    jumpTo(link.dataset.id);
  }
});

let pageLength = null;
window.addEventListener("beforeprint", () => {
  if (!incidents) return;
  pageLength = incidents.page.len();
  incidents.page.len(-1).draw(false);
  incidents.rows({ search: "applied" }).every(function () { toggle(this, true); });
});
window.addEventListener("afterprint", () => {
  if (!incidents || pageLength === null) return;
  incidents.rows().every(function () { toggle(this, false); });
  incidents.page.len(pageLength).draw(false);
  pageLength = null;
});

Promise.all([tables(), timeline()]).then(() => {
  if (location.hash.startsWith("#inc-")) jumpTo(location.hash.slice(5));
  document.body.dataset.ready = "1";
}).catch((error) => {
  document.body.dataset.ready = "error";
  console.error("report:", error);
});
