// fundsim workbench: every request goes to this server (no CDN, no outside address), and
// every API request carries this launch's key (the ?token=… of the address fundsim serve
// printed, kept for this tab in sessionStorage and taken out of the address bar).
"use strict";

const TOKEN = (() => {
  const url = new URL(window.location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem("fundsim-token", given);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem("fundsim-token");
})();

const WORDS = {
  zh: {
    title: "基金运行预测工作台", choose: "选择情景", baseline: "基准情景", runs: "模拟次数",
    seed: "种子", run: "运行", area: "区县", result: "预测结果", fund: "基金", warnings: "预警概率",
    download: "下载", levers: "政策杠杆", name: "方案名称", make: "生成并比较",
    levers_help: "修改一项或多项政策（自某年起的取值，可按年份设定多个取值），生成继承基准情景的新情景，并以共同随机数与基准比较。",
    save: "保存为情景文件", compare: "与基准比较", running: "运行中", done: "完成",
    failed: "失败", from: "起始年份", value: "新取值", now: "基准情景取值（年份: 值）", saved: "已保存：",
    public: "注意：本工作台在网络地址上提供服务，局域网内其他人可以访问。",
    year: "年份", yellow: "黄色", orange: "橙色", red: "红色", lever: "政策",
    switch: "English", scenario: "方案", delta: "累计结余差值中位数（万元）",
    p_depleted: "穿底概率（基准→方案）", stored: "已有结果", open: "打开",
    indicators: "主要指标（中位数，亿元）", income: "收入", expenditure: "支出", balance: "累计结余",
    band: "累计结余5%–95%区间", months: "可支付月数", opened: "已打开", runs_n: "次模拟",
    kept: "，N次模拟结果可供比较时复用",
    compare_note: "表中差值为逐次模拟（同一随机数）配对差值的中位数和5%–95%区间；政策贡献图用均值（配对差值的均值可逐项相加），两者不必相等。",
    unmatched: "；文件夹中没有与其基准情景完全相同的情景文件（文件已修改？），不能在其上调整政策杠杆", change: "调整（自某年1月1日起）", cached: "（其中N次取自已运行结果）", more: "再加一个年份",
    load: "载入情景文件", load_button: "载入并比较",
    others: "该情景还调整了以下参数（杠杆中未列出），按文件原样比较：",
    cancel: "取消", cancelled: "已取消", queued: "排队中", preparing: "正在准备…",
    choice: { separate: "各县分别统筹", reserve: "县级统筹+市级风险调剂金", unified: "市级统收统支", true: "是", false: "否" },
  },
  en: {
    title: "Fund forecast workbench", choose: "Choose a scenario", baseline: "baseline",
    runs: "runs", seed: "seed", run: "Run", area: "area", result: "Forecast", fund: "fund",
    warnings: "Early warnings", download: "Download", levers: "Policy levers",
    name: "scenario name", make: "Make and compare",
    levers_help: "Change one or more policies (a value from a year on; + adds another year): a new scenario extending the baseline, compared with it under common random numbers.",
    save: "Save as a scenario file", compare: "Compared with the baseline",
    running: "running", done: "done", failed: "failed", from: "from year",
    value: "new value", now: "baseline (year: value)", saved: "saved: ",
    public: "Note: this workbench is served on a network address; others on the network can reach it.",
    year: "year", yellow: "yellow", orange: "orange", red: "red", lever: "lever",
    switch: "中文", scenario: "scenario", delta: "median difference in balance (10,000 yuan)",
    p_depleted: "P(depleted), baseline → scenario", stored: "stored results", open: "Open",
    indicators: "Key indicators (medians, 100 million yuan)", income: "income",
    expenditure: "expenditure", balance: "balance", band: "balance, 5–95%",
    months: "reserve months", opened: "opened", runs_n: " runs", kept: "; N runs reused by comparisons",
    compare_note: "The table's differences are the median and 5–95% range of the paired differences run by run (the same random numbers); the waterfall uses means (the mean paired differences add up): the two need not be equal.",
    unmatched: "; no scenario file of the folder is its baseline as it ran (changed since?): no lever can extend it", change: "change (from 1 January of a year)", cached: " (N of them run before)",
    more: "add another year", load: "load a scenario file", load_button: "Load and compare",
    others: "This scenario also changes (not among the levers; compared as written): ",
    cancel: "Cancel", cancelled: "cancelled", queued: "queued", preparing: "preparing…",
    choice: { separate: "separate county funds", reserve: "county funds + city reserve", unified: "one city fund", true: "yes", false: "no" },
  },
};
let lang = "zh";
let state = { batch: null, compare: null, levers: null, draft: null, summary: null };

const $ = (id) => document.getElementById(id);
const w = (key) => WORDS[lang][key] || key;

function headers(extra) {
  return { "X-Fundsim-Token": TOKEN || "", "X-Fundsim-Lang": lang, ...extra };
}

function message(data) { return data[lang] || data.error || "error"; }  // in the page's language
function said(error) { return error.data ? message(error.data) : error.message; }

function noKey() {
  // opened without the key (or with an old launch's): say which address to use
  $("no-token").hidden = false;
  for (const id of ["setup", "result", "levers-panel", "compare"]) $(id).hidden = true;
}

async function answered(response) {
  // a refusal as an Error carrying its message in both languages
  if (response.ok) return response;
  let data;
  try { data = await response.json(); } catch (e) { data = { error: `HTTP ${response.status}` }; }
  if (data.reason === "key") noKey();
  const error = new Error(message(data)); error.data = data; throw error;
}

async function api(path, body) {
  const options = { headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) { options.method = "POST"; options.body = JSON.stringify(body); }
  const response = await answered(await fetch(path, options));
  return response.json();
}

function translate() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = w(node.dataset.t);
  $("lang").textContent = w("switch");
  if (state.scenarios) showScenarios();
  if (state.status) $("status").textContent = state.status();
  if (state.summary) showSummary(state.summary);
  if (state.levers) showLevers(state.levers);
  if (state.compareSummary) showComparison(state.compareSummary);
  if (state.storedError) $("stored-error").textContent = said(state.storedError);
}

async function loadScenarios() {
  const about = await api("/api/about");
  $("folder").textContent = about.folder;
  $("public").hidden = !about.public;
  state.scenarios = await api("/api/scenarios");
  state.stored = await api("/api/stored");
  showScenarios();
}

function showScenarios() {
  // the baselines by region and the stored batches, in the page's language
  const list = state.scenarios;
  const select = $("baseline");
  const chosen = select.value;
  select.innerHTML = "";
  const groups = {};  // by region: the first folder of the file's path
  for (const s of list.filter((s) => s.valid)) {
    const region = s.file.includes("/") ? s.file.split("/")[0] : "";
    if (!(region in groups)) {
      groups[region] = region ? document.createElement("optgroup") : select;
      if (region) { groups[region].label = region; select.appendChild(groups[region]); }
    }
    const option = document.createElement("option");
    option.value = s.file;
    option.textContent = `${s.file} — ${lang === "zh" ? s.title_zh : s.title_en}`;
    groups[region].appendChild(option);
  }
  if (chosen) select.value = chosen;
  $("stored-row").hidden = state.stored.length === 0;
  const stored = $("stored");
  const opened = stored.value;
  stored.innerHTML = "";
  for (const e of state.stored) {
    const option = document.createElement("option");
    option.value = e.key;
    option.textContent = `${e.folder} — ${e.scenarios.map((s) => s.name).join(", ")} × ${e.runs}`;
    stored.appendChild(option);
  }
  if (opened) stored.value = opened;
}

async function openStored() {
  // a batch stored in the folder: shown as it is; its runs reused by comparisons with it
  const entry = state.stored.find((e) => e.key === $("stored").value);
  $("area-label").hidden = true;
  state.storedError = null; $("stored-error").textContent = "";
  try {
    const kept = await api(`/api/stored/${entry.key}/open`, {});
    state.batch = entry.key;
    state.summary = await resultsOf(entry.key);
    showSummary(state.summary);
    $("runs").value = entry.runs; $("seed").value = entry.seed;
    state.status = () => `${w("opened")} ${entry.folder}: ${entry.runs}${w("runs_n")}`
      + (kept.kept ? w("kept").replace("N", kept.kept) : "") + (kept[lang] ? `; ${kept[lang]}` : "")
      + (state.matched ? "" : w("unmatched"));
    state.matched = true;
    $("status").textContent = state.status();
    const match = state.scenarios.find((s) => s.valid && s.sha256 === entry.scenarios[0].sha256);
    if (match) {
      $("baseline").value = match.file;
      state.levers = await api(`/api/levers?file=${encodeURIComponent(match.file)}`);
      showLevers(state.levers, false);
    } else {  // its scenario file changed (or is elsewhere): shown, but no lever can extend it
      $("levers-panel").hidden = true;
      state.matched = false;
      $("status").textContent = state.status();
    }
    if (entry.scenarios.length > 1) {
      state.compare = entry.key; state.compareSummary = state.summary;
      showComparison(state.compareSummary);
    } else { $("compare").hidden = true; }
  } catch (error) {  // shown beside the batch: what differs, in the page's language
    state.storedError = error; $("stored-error").textContent = said(error);
    $("result").hidden = true; $("compare").hidden = true;
  }
}

let waited = null;  // the job the progress bar shows (its Cancel button cancels it)

async function waitFor(job, onDone) {
  $("progress").hidden = false;
  waited = job.id;
  $("cancel").hidden = false;
  try {
    for (;;) {
      $("progress").max = job.total; $("progress").value = job.done;
      const shown = job;  // the status in whichever language the page is in
      const states = ["queued", "running", "done", "failed", "cancelled"];
      state.status = () => `${w(states.includes(shown.state) ? shown.state : "running")} ${shown.done}/${shown.total}`
        + (shown.cached ? w("cached").replace("N", shown.cached) : "")
        + (shown.state === "failed" ? `: ${lang === "zh" ? shown.error_zh || shown.error : shown.error}` : "");
      $("status").textContent = state.status();
      if (job.state === "failed" || job.state === "cancelled") return;
      if (job.state === "done") { $("cancel").hidden = true; await onDone(job.key); return; }
      await new Promise((resolve) => setTimeout(resolve, 500));
      job = await api(`/api/jobs/${job.id}`);
    }
  } finally {
    if (waited === job.id) $("cancel").hidden = true;
  }
}

async function cancelJob() {
  if (!waited) return;
  try { await api(`/api/jobs/${waited}/cancel`, {}); } catch (error) { $("status").textContent = said(error); }
}

function runs() { return { runs: Number($("runs").value), seed: $("seed").value === "" ? null : Number($("seed").value) }; }

async function runBaseline() {
  const file = $("baseline").value;
  $("area-label").hidden = true;  // another baseline: its own areas, its total first
  try {
    const job = await api("/api/batch", { files: [file], ...runs() });
    await waitFor(job, async (key) => {
      state.batch = key;
      state.summary = await resultsOf(key);
      showSummary(state.summary);
      state.levers = await api(`/api/levers?file=${encodeURIComponent(file)}`);
      showLevers(state.levers, false);
    });
  } catch (error) { state.status = () => said(error); $("status").textContent = said(error); }
}

function area() { return $("area-label").hidden ? "" : $("area").value; }

async function chart(img, key, kind, extra) {
  // a chart fetched with the key, shown from memory (an <img> cannot send the key itself)
  const params = new URLSearchParams({ lang, area: area(), ...extra });
  const path = `/api/results/${key}/chart/${kind}.svg?${params}`;
  img.dataset.src = path;
  try {
    const blob = await (await answered(await fetch(path, { headers: headers({}) }))).blob();
    if (img.dataset.src !== path) return;  // another chart was asked for meanwhile
    const before = img.src;
    img.src = URL.createObjectURL(blob);
    await img.decode();
    if (before.startsWith("blob:")) URL.revokeObjectURL(before);
    img.dataset.drawn = path;
  } catch (error) { img.alt = said(error); }
}

async function download(link) {
  // a file of the batch on the screen, fetched with the key and handed to the browser
  const section = link.closest("section");
  const key = section.id === "compare" ? state.compare : state.batch;
  const note = section.querySelector(".download-status");
  const what = link.dataset.file;
  note.textContent = w("preparing");
  try {
    const response = await answered(await fetch(`/api/results/${key}/download/${what}?lang=${lang}`, { headers: headers({}) }));
    const saving = document.createElement("a");
    saving.href = URL.createObjectURL(await response.blob());
    saving.download = what;
    document.body.appendChild(saving); saving.click(); saving.remove();
    setTimeout(() => URL.revokeObjectURL(saving.href), 60000);
    note.textContent = "";
  } catch (error) { note.textContent = said(error); }
}

function showAreas(s) {
  // a city: its areas and its total (the total first shown)
  const select = $("area");
  const chosen = select.value;
  select.innerHTML = "";
  for (const a of s.areas) {
    const option = document.createElement("option");
    option.value = a.name; option.textContent = lang === "zh" ? a.zh : a.en;
    select.appendChild(option);
  }
  select.value = s.areas.some((a) => a.name === chosen) ? chosen : "total";
  $("area-label").hidden = s.areas.length === 0;
}

function resultsOf(key) {
  // a batch's summary, of the area chosen (a city's total when none is)
  return api(`/api/results/${key}?area=${encodeURIComponent(area())}`);
}

async function changeArea() {
  // the summary and the comparison of the chosen area, read again
  if (state.batch) { state.summary = await resultsOf(state.batch); showSummary(state.summary); }
  if (state.compare && !$("compare").hidden) {
    state.compareSummary = await resultsOf(state.compare);
    showComparison(state.compareSummary);
  }
}

function showSummary(s) {
  $("result").hidden = false;
  showAreas(s);
  const scenario = s.scenarios[0];
  $("headline").innerHTML = "";
  for (const line of s.headline[lang][scenario]) {
    const li = document.createElement("li"); li.textContent = line; $("headline").appendChild(li);
  }
  const fund = $("fund");
  const chosen = fund.value || "urrbmi_pool";
  fund.innerHTML = "";
  for (const [name, label] of Object.entries(s.funds[lang])) {
    const option = document.createElement("option"); option.value = name; option.textContent = label;
    fund.appendChild(option);
  }
  fund.value = chosen in s.funds[lang] ? chosen : Object.keys(s.funds[lang])[0];
  chart($("fan"), state.batch, "fan", { fund: fund.value });
  chart($("depletion"), state.batch, "depletion", {});
  const kpi = $("indicators");
  kpi.innerHTML = "";
  const values = s.indicators[scenario][fund.value];
  const top = kpi.insertRow();
  for (const text of [w("year"), w("income"), w("expenditure"), w("balance"), w("band"), w("months")]) {
    const th = document.createElement("th"); th.textContent = text; top.appendChild(th);
  }
  const yi = (v) => (v === null ? "—" : (v / 1e8).toFixed(2));
  s.years.forEach((year, i) => {
    const row = kpi.insertRow();
    row.insertCell().textContent = year;
    row.insertCell().textContent = yi(values.income_p50[i]);
    row.insertCell().textContent = yi(values.expenditure_p50[i]);
    row.insertCell().textContent = yi(values.balance_p50[i]);
    row.insertCell().textContent = `${yi(values.balance_p05[i])} – ${yi(values.balance_p95[i])}`;
    const m = values.reserve_months_p50[i];
    row.insertCell().textContent = m === null ? "—" : m.toFixed(1);
  });
  const table = $("warnings");
  table.innerHTML = "";
  if (!s.warnings) return;
  const levels = s.warnings[scenario][fund.value];
  const head = table.insertRow();
  for (const text of [w("year"), w("yellow"), w("orange"), w("red")]) {
    const th = document.createElement("th"); th.textContent = text; head.appendChild(th);
  }
  s.years.forEach((year, i) => {
    const row = table.insertRow();
    row.insertCell().textContent = year;
    for (const level of ["yellow", "orange", "red"]) row.insertCell().textContent = `${(100 * levels[level][i]).toFixed(0)}%`;
  });
}

function shown(value) {
  return typeof value === "number" ? String(Number(value.toPrecision(4))) : String(value);
}

function stepInput(lever, year, value) {
  // one dated value of a lever: from a year on (1 January), a value (a choice for a mode)
  const span = document.createElement("span"); span.className = "step";
  const from = document.createElement("input");
  from.type = "number"; from.min = state.levers.years[0]; from.max = state.levers.years[1];
  from.value = year; from.className = "year"; from.dataset.year = lever.path;
  from.title = w("from");
  let input;
  if (lever.choices) {
    input = document.createElement("select");
    for (const choice of ["", ...lever.choices]) {
      const option = document.createElement("option"); option.value = String(choice);
      option.textContent = choice === "" ? "—" : (WORDS[lang].choice && WORDS[lang].choice[choice]) || choice;
      input.appendChild(option);
    }
  } else {
    input = document.createElement("input"); input.size = 8;
  }
  input.className = "value"; input.dataset.path = lever.path; input.title = w("value");
  if (value !== undefined) input.value = value;
  span.append(from, input);
  return span;
}

function showLevers(data, keep) {
  const kept = keep === false ? [] : leverChanges();
  $("levers-panel").hidden = false;
  const table = $("levers");
  table.innerHTML = "";
  const head = table.insertRow();
  for (const text of [w("lever"), w("now"), w("change"), ""]) {
    const th = document.createElement("th"); th.textContent = text; head.appendChild(th);
  }
  for (const lever of data.levers) {
    const row = table.insertRow();
    row.dataset.path = lever.path;
    const name = row.insertCell(); name.className = "name";
    name.textContent = `${lang === "zh" ? lever.name_zh : lever.name_en} (${lever.path})`;
    const path = row.insertCell(); path.className = "path";
    const steps = lever.steps.map(([year, value]) => `${year}: ${shown(value)}`);
    // a long path (a premium raised every year): its first steps and its last
    path.textContent = steps.length > 6 ? [...steps.slice(0, 4), "…", steps[steps.length - 1]].join(", ") : steps.join(", ");
    path.title = steps.join(", ");
    const cell = row.insertCell(); cell.className = "steps";
    const mine = kept.filter((c) => c.path === lever.path);
    const first = Math.min(data.years[0] + 4, data.years[1]);
    if (mine.length === 0) cell.appendChild(stepInput(lever, first));
    for (const c of mine) cell.appendChild(stepInput(lever, Number(c.date.slice(0, 4)), c.value));
    const more = document.createElement("button");
    more.type = "button"; more.textContent = "+"; more.className = "more"; more.title = w("more");
    more.addEventListener("click", () => {
      const years = [...cell.querySelectorAll("input.year")].map((i) => Number(i.value));
      cell.insertBefore(stepInput(lever, Math.min(Math.max(...years) + 1, data.years[1])), more);
    });
    cell.appendChild(more);
    const problem = row.insertCell(); problem.className = "problem";
  }
  fillLoad();
}

function fillLoad() {
  // the scenario files that can be loaded and compared with the baseline
  const select = $("load");
  const chosen = select.value;
  select.innerHTML = "";
  for (const s of state.scenarios.filter((s) => s.valid && s.file !== $("baseline").value)) {
    const option = document.createElement("option");
    option.value = s.file; option.textContent = `${s.file} — ${lang === "zh" ? s.title_zh : s.title_en}`;
    select.appendChild(option);
  }
  if (chosen) select.value = chosen;
  $("load-button").disabled = select.options.length === 0;
}

function leverChanges() {
  // every filled dated value of the controls: {path, date, value}
  const changes = [];
  for (const step of document.querySelectorAll("#levers span.step")) {
    const input = step.querySelector(".value");
    if (input.value.trim() === "") continue;
    const number = Number(input.value);
    const choice = { true: true, false: false }[input.value] ?? input.value;  // a yes/no lever
    const value = input.tagName === "SELECT" ? choice : Number.isNaN(number) ? input.value : number;
    changes.push({ path: input.dataset.path, date: `${step.querySelector(".year").value}-01-01`, value });
  }
  return changes;
}

function clearMessages() {
  for (const cell of document.querySelectorAll("#levers td.problem")) cell.textContent = "";
  $("draft-error").textContent = ""; $("yaml").textContent = ""; $("save").hidden = true;
  $("saved").textContent = ""; $("loaded-note").textContent = "";
}

async function compareWith(file) {
  const job = await api("/api/batch", { files: [$("baseline").value, file], ...runs() });
  await waitFor(job, async (key) => {
    state.compare = key;
    state.compareSummary = await resultsOf(key);
    showComparison(state.compareSummary);
  });
}

async function makeAndCompare() {
  const changes = leverChanges();
  clearMessages();
  try {
    const made = await api("/api/draft", { baseline: $("baseline").value, name: $("name").value, changes });
    state.draft = made;
    $("yaml").textContent = made.yaml;
    $("save").hidden = false;
    await compareWith(made.file);
  } catch (error) {
    const problems = (error.data && error.data.problems) || [];
    if (error.data && error.data.yaml) $("yaml").textContent = error.data.yaml;
    let placed = false;
    for (const p of problems) {
      for (const row of document.querySelectorAll("#levers tr[data-path]")) {
        if (p.path.includes(row.dataset.path)) { row.querySelector("td.problem").textContent = p.message; placed = true; }
      }
    }
    if (!placed) $("draft-error").textContent = problems.length ? problems.map((p) => p.message).join("\n") : said(error);
  }
}

async function loadScenario() {
  // a scenario file of the folder: its text, its lever changes in the controls, compared as written
  clearMessages();
  const file = $("load").value;
  try {
    const data = await api(`/api/scenario?file=${encodeURIComponent(file)}`);
    showLevers(state.levers, false);
    for (const row of document.querySelectorAll("#levers tr[data-path]")) {
      const mine = data.changes.filter((c) => c.path === row.dataset.path);
      if (mine.length === 0) continue;
      const cell = row.querySelector("td.steps");
      for (const step of cell.querySelectorAll("span.step")) step.remove();
      const lever = state.levers.levers.find((l) => l.path === row.dataset.path);
      for (const c of mine) cell.insertBefore(stepInput(lever, Number(c.date.slice(0, 4)), c.value), cell.querySelector(".more"));
    }
    $("yaml").textContent = data.yaml;
    $("name").value = data.name;
    if (data.others.length) $("loaded-note").textContent = `${w("others")}${data.others.join(", ")}`;
    await compareWith(file);
  } catch (error) {
    const problems = (error.data && error.data.problems) || [];
    $("draft-error").textContent = problems.length ? problems.map((p) => p.message).join("\n") : said(error);
  }
}

function showComparison(s) {
  $("compare").hidden = false;
  const table = $("comparison");
  table.innerHTML = "";
  const rows = (s.comparison || []).filter((r) => r.fund in s.funds[lang]);
  const head = table.insertRow();
  for (const text of [w("scenario"), w("fund"), w("delta"), "P5", "P95", w("p_depleted")]) {
    const th = document.createElement("th"); th.textContent = text; head.appendChild(th);
  }
  for (const r of rows) {
    const row = table.insertRow();
    row.insertCell().textContent = r.scenario;
    row.insertCell().textContent = s.funds[lang][r.fund];
    for (const k of ["balance_diff_median", "balance_diff_p05", "balance_diff_p95"]) row.insertCell().textContent = (r[k] / 1e4).toFixed(0);
    row.insertCell().textContent = `${(100 * r.p_depleted_baseline).toFixed(0)}% → ${(100 * r.p_depleted_scenario).toFixed(0)}%`;
  }
  chart($("difference"), state.compare, "compare", { fund: $("fund").value || "urrbmi_pool" });
  chart($("waterfall"), state.compare, "waterfall", { fund: $("fund").value || "urrbmi_pool" });
}

async function saveDraft() {
  try {
    const saved = await api("/api/save", { name: $("name").value });
    $("saved").textContent = w("saved") + saved.file;
    state.scenarios = await api("/api/scenarios");  // the saved file can be loaded now
    fillLoad();
  } catch (error) { $("saved").textContent = said(error); }
}

$("lang").addEventListener("click", () => { lang = lang === "zh" ? "en" : "zh"; translate(); });
$("run").addEventListener("click", runBaseline);
$("make").addEventListener("click", makeAndCompare);
$("save").addEventListener("click", saveDraft);
$("load-button").addEventListener("click", loadScenario);
$("open").addEventListener("click", openStored);
$("area").addEventListener("change", changeArea);
$("fund").addEventListener("change", () => state.summary && showSummary(state.summary));
$("cancel").addEventListener("click", cancelJob);
for (const link of document.querySelectorAll("a[data-file]")) {
  link.addEventListener("click", (event) => { event.preventDefault(); download(link); });
}
if (TOKEN) {
  loadScenarios().then(translate).catch((error) => { $("status").textContent = said(error); });
} else { noKey(); }
