// 管理: the DRC office opens and closes periods and registers clusters;
// every command goes through ingest, whose problems are shown as they come.
import { $, CATEGORY_ZH, api, el, fail, get, periodZh, start, time } from "./common.js";

function answer(box, r) {
  const ok = r.status === 201 || r.status === 200;
  box.replaceChildren(el("div", { class: `notice ${ok ? "ok" : "err"}`, role: "status" }, ok ? `已受理 (${r.data.instance} #${r.data.seq})` :
    (r.data.problems || []).map((p) => el("div", { "data-code": p.code }, `${p.message_zh} [${p.code}]`))));
  return ok;
}

async function periods() {
  const { periods: list } = await get("/api/v1/periods");
  $("#periods").replaceChildren(el("table", { id: "periods-table" }, el("thead", {}, el("tr", {},
    ["期次", "状态", "开启", "报送截止", "关闭", ""].map((h) => el("th", {}, h)))),
  el("tbody", {}, list.map((p) => el("tr", { "data-period": p.period }, el("td", {}, periodZh(p.period)),
    el("td", {}, p.status === "closed" ? "已关闭" : "进行中"), el("td", {}, time(p.opened_at)), el("td", {}, time(Number(p.deadline_ms || 0))),
    el("td", {}, time(p.closed_at)), el("td", {}, p.status === "closed" ? "" : el("button", { type: "button", class: "close-period",
      onclick: async () => { if (!confirm(`关闭 ${periodZh(p.period)}? 关闭后排名成为正式排名, 并发放奖励、作出淘汰决定。`)) return;
        answer($("#period-answer"), await api(`/api/v1/periods/${encodeURIComponent(p.period)}/close`, { method: "POST" }));
        setTimeout(periods, 800); } }, "关闭期次")))))));
}

async function main() {
  await start("管理");
  const f = (name, label, input) => el("div", { class: "field" }, el("label", { for: name }, label), input);
  $("#main").replaceChildren(
    el("section", { class: "card" }, el("h2", {}, "评估期次"),
      el("form", { id: "open-form", class: "toolbar", onsubmit: async (ev) => { ev.preventDefault();
        if (answer($("#period-answer"), await api("/api/v1/periods", { method: "POST", body: { period: $("#new-period").value.trim() } })))
          setTimeout(periods, 800); } },
        "开启期次 ", el("input", { id: "new-period", placeholder: "2024, 2024Q1 或 2024-01", required: true, size: 22 }),
        el("button", { type: "submit", class: "primary" }, "开启")),
      el("div", { id: "period-answer" }), el("div", { id: "periods" })),
    el("section", { class: "card" }, el("h2", {}, "登记集聚区"),
      el("form", { id: "cluster-form", class: "report", onsubmit: async (ev) => { ev.preventDefault();
        const body = { id: $("#c-id").value.trim(), name: $("#c-name").value.trim(), category: $("#c-category").value,
          county: $("#c-county").value.trim(), level: $("#c-level").value, management_org: $("#c-org").value.trim(),
          leading_industries: $("#c-industries").value.split(/[,，、]/).map((s) => s.trim()).filter(Boolean) };
        answer($("#cluster-answer"), await api("/api/v1/clusters", { method: "POST", body })); } },
        f("c-id", "编号", el("input", { id: "c-id", placeholder: "JL-WL-003", required: true })),
        f("c-name", "名称", el("input", { id: "c-name", required: true })),
        f("c-category", "类别", el("select", { id: "c-category" }, Object.entries(CATEGORY_ZH).map(([k, v]) => el("option", { value: k }, v)))),
        f("c-county", "县(市)区", el("input", { id: "c-county", placeholder: "船营区" })),
        f("c-level", "级别", el("select", { id: "c-level" }, el("option", { value: "CITY" }, "市级"), el("option", { value: "PROVINCIAL" }, "省级"))),
        f("c-industries", "主导产业 (1-3 个, 用顿号分隔)", el("input", { id: "c-industries" })),
        f("c-org", "管理机构", el("input", { id: "c-org" })),
        el("button", { type: "submit", class: "primary" }, "登记")),
      el("div", { id: "cluster-answer" })));
  await periods();
}

main().catch((e) => fail($("#main"), e));
