// The dashboard in headless Chromium (Debian's), driven by playwright-core.
// Run by tests/integration/test_dashboard.py, which starts redis, a
// loopback feed with two incidents (a major mine explosion and ordinary
// wage arrears) and yuqingd on a 60x clock, and passes, in the environment:
//   YQ_DASH_URL       http://127.0.0.1:PORT (the daemon)
//   YQ_DASH_WRITE     a write token, YQ_DASH_READ a read-only one
//   YQ_DASH_MAJOR     the major incident's title, YQ_DASH_ORDINARY the other's
//   YQ_DASH_ARTIFACTS where the screenshots go
//   YQ_CHROMIUM       the browser (default /usr/bin/chromium)
// Steps: a wrong token is refused; the read token sees both incidents in
// order of time left, with countdowns on the daemon's clock and urgency
// colours, and is told it is read-only when it acknowledges; the write
// token acknowledges the major incident, records its release, meets a
// conflict (409) on the ordinary one acknowledged behind its back, and
// dismisses it.  Every request the pages make must go to the daemon.
// Prints one JSON line of what it saw; exits non-zero on the first failure
// (with a screenshot dashboard-failure.png).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const BASE = need("YQ_DASH_URL");
const WRITE = need("YQ_DASH_WRITE");
const READ = need("YQ_DASH_READ");
const MAJOR = need("YQ_DASH_MAJOR");
const ORDINARY = need("YQ_DASH_ORDINARY");
const OUT = need("YQ_DASH_ARTIFACTS");
const CHROMIUM = process.env.YQ_CHROMIUM || "/usr/bin/chromium";
const WAIT = 20000; // ms: generous, for a loaded 2-core machine and ASan
const EVIDENCE = "https://gov.example/notice/dashboard";

function need(name) {
	const v = process.env[name];
	if (!v) {
		console.error(`dashboard.mjs: ${name} is not set`);
		process.exit(2);
	}
	return v;
}

function check(ok, what) {
	if (!ok)
		throw new Error(`check failed: ${what}`);
}

const requests = [];
const consoleErrors = [];

function watch(context) {
	context.on("request", (r) => requests.push(r.url()));
	context.on("page", (p) => p.on("console", (m) => {
		if (m.type() === "error")
			consoleErrors.push(m.text());
	}));
	context.on("weberror", (e) => consoleErrors.push(String(e.error())));
}

// The card of the incident with this title.
function card(page, title) {
	return page.locator("li.incident").filter({
		has: page.locator("[data-role=title]", { hasText: title }),
	});
}

async function signIn(page, token) {
	await page.locator("#token").fill(token);
	await page.locator("#login-form button[type=submit]").click();
}

// Time left shown on a card ("剩余 04:39:12", "剩余 1天 23:20:00") in ms.
function parseLeft(text) {
	const m = /^剩余 (?:(\d+)天 )?(\d\d):(\d\d):(\d\d)$/.exec(text);
	check(m !== null, `countdown text ${JSON.stringify(text)}`);
	return ((Number(m[1] || 0) * 24 + Number(m[2])) * 3600 +
		Number(m[3]) * 60 + Number(m[4])) * 1000;
}

async function api(method, p, token) {
	const res = await fetch(BASE + p, {
		method,
		headers: { Authorization: `Bearer ${token}` },
		body: method === "POST" ? "{}" : undefined,
	});
	return { status: res.status, doc: await res.json() };
}

async function main() {
	mkdirSync(OUT, { recursive: true });
	const browser = await chromium.launch({
		executablePath: CHROMIUM,
		headless: true,
		args: [
			"--headless", "--no-sandbox", "--disable-gpu",
			"--disable-quic", "--no-first-run",
			"--disable-background-networking",
			"--disable-component-update", "--disable-sync",
			"--disable-default-apps", "--disable-extensions",
			"--no-default-browser-check", "--metrics-recording-only",
			// anything but loopback resolves nowhere and goes to a
			// closed loopback port (loopback itself bypasses the proxy)
			"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
			"--proxy-server=http://127.0.0.1:9",
		],
		timeout: 60000,
	});
	const seen = {};
	let page = null;
	try {
		// -- a phone, the read-only token ------------------------------
		const phone = await browser.newContext({
			viewport: { width: 390, height: 844 },
			deviceScaleFactor: 2,
			isMobile: true,
			hasTouch: true,
			locale: "zh-CN",
		});
		watch(phone);
		page = await phone.newPage();
		page.setDefaultTimeout(WAIT);
		const resp = await page.goto(BASE + "/dashboard");
		check(resp.status() === 200, `GET /dashboard: ${resp.status()}`);
		await page.locator("#login-form").waitFor();
		check(await page.locator("#board").isHidden(), "board hidden before the token");

		// a wrong token: asked again, with the reason
		await signIn(page, "wrong-token-0123456789abcdef0123");
		await page.locator("#login-error").filter({ hasText: "令牌无效" }).waitFor();
		check(await page.locator("#login").isVisible(), "login shown again after 401");

		await signIn(page, READ);
		const major = card(page, MAJOR);
		const ordinary = card(page, ORDINARY);
		await major.waitFor();
		await ordinary.waitFor();
		// sorted by time left: the major release (5 h) before 48 h
		const titles = await page.locator("li.incident [data-role=title]").allTextContents();
		check(titles.indexOf(MAJOR) === 0 && titles.indexOf(ORDINARY) === 1,
			`order ${JSON.stringify(titles)}`);
		seen.order = titles;
		// urgency: the release is due in under 5 h (amber), the response
		// in 48 h (green)
		await page.waitForFunction((t) => {
			const c = [...document.querySelectorAll("li.incident")].find(
				(e) => e.querySelector("[data-role=title]").textContent === t);
			return c && c.dataset.urgency === "soon";
		}, MAJOR);
		check(await ordinary.getAttribute("data-urgency") === "ok", "ordinary is green");
		check((await major.locator("[data-role=state]").textContent()) === "待确认", "major open");
		check((await major.locator("[data-role=departments]").textContent()).includes("区应急局"),
			"major's departments");
		check((await major.locator("[data-role=link]").getAttribute("href")) === "http://n.example/m1",
			"major's link");
		// evidence: the items, once fetched
		await major.locator("[data-role=evidence] summary").click();
		await major.locator("[data-role=items] li a", { hasText: MAJOR }).first().waitFor();
		seen.evidence = await major.locator("[data-role=evidence-count]").textContent();
		// the feeds panel
		await page.locator("#feeds li.feed[data-feed=local]").waitFor();
		seen.feed = await page.locator("#feeds li.feed[data-feed=local] .feed-state").textContent();
		check(seen.feed === "正常", `feed state ${seen.feed}`);
		await page.locator("#health").filter({ hasText: "正常" }).waitFor();
		await page.screenshot({ path: path.join(OUT, "dashboard-phone.png"), fullPage: true });

		// read-only: acknowledging is refused, and the page says why
		await ordinary.locator("button[data-action=ack]").click();
		await ordinary.locator("[data-role=msg]").filter({ hasText: "只读" }).waitFor();
		await page.locator("#banner").filter({ hasText: "只读" }).waitFor();
		seen.readOnly = await ordinary.locator("[data-role=msg]").textContent();
		await phone.close();

		// -- a desktop, the write token --------------------------------
		const desk = await browser.newContext({
			viewport: { width: 1280, height: 900 },
			locale: "zh-CN",
		});
		watch(desk);
		page = await desk.newPage();
		page.setDefaultTimeout(WAIT);
		await page.goto(BASE + "/dashboard");
		await signIn(page, WRITE);
		const dmajor = card(page, MAJOR);
		const dord = card(page, ORDINARY);
		await dmajor.locator("[data-role=countdown]", { hasText: "剩余" }).waitFor();
		await dord.waitFor();

		// the countdown runs on the daemon's clock (60x here): it moves
		// every second and agrees with the daemon's own now
		const cd = dmajor.locator("[data-role=countdown]");
		const before = await cd.textContent();
		await page.waitForFunction(([t, old]) => {
			const c = [...document.querySelectorAll("li.incident")].find(
				(e) => e.querySelector("[data-role=title]").textContent === t);
			return c && c.querySelector("[data-role=countdown]").textContent !== old;
		}, [MAJOR, before], { timeout: WAIT });
		const shown = parseLeft(await cd.textContent());
		const list = await api("GET", "/api/incidents", READ);
		const inc = list.doc.incidents.find((i) => i.title === MAJOR);
		const want = inc.next_due - list.doc.now;
		// a few real seconds apart at most: minutes on a 60x clock
		check(Math.abs(shown - want) < 5 * 60 * 1000,
			`countdown ${shown} ms vs the daemon's ${want} ms`);
		seen.countdown = { before, after: await cd.textContent(), want };
		check(list.doc.time_scale === 60, `time_scale ${list.doc.time_scale}`);
		await page.locator("#scale", { hasText: "×60" }).waitFor();

		// acknowledge: one tap
		await dmajor.locator("button[data-action=ack]").click();
		await dmajor.locator("[data-role=state]", { hasText: "已确认" }).waitFor();
		await dmajor.locator("button[data-action=ack]").waitFor({ state: "hidden" });
		await dmajor.locator("[data-role=msg]", { hasText: "已确认收到" }).waitFor();
		// who acknowledged, from the history
		await dmajor.locator("[data-role=meta]", { hasText: "确认人：duty" }).waitFor();
		await page.screenshot({ path: path.join(OUT, "dashboard-desktop.png"), fullPage: true });

		// respond: the release, with its evidence
		await dmajor.locator("button[data-action=respond]").click();
		const form = dmajor.locator("form[data-form=respond]");
		await form.locator("select[name=milestone]").selectOption("release");
		await form.locator("input[name=evidence]").fill(EVIDENCE);
		await form.locator("input[name=note]").fill("已发布情况通报");
		await form.locator("button[type=submit]").click();
		await dmajor.locator("li[data-milestone=release].met").waitFor();
		await dmajor.locator("[data-role=msg]", { hasText: "已记录回应" }).waitFor();

		// 409: someone else acknowledges the ordinary incident while this
		// page still shows it open (its list requests held back meanwhile;
		// the button is pressed by event, as a refresh that slipped
		// through would have hidden it)
		const listUrl = (u) => new URL(u).pathname === "/api/incidents";
		await page.route(listUrl, (r) => r.abort());
		const ordId = await dord.getAttribute("data-id");
		const acked = await api("POST", `/api/incidents/${ordId}/ack`, WRITE);
		check(acked.status === 200, `ack behind the page's back: ${acked.status}`);
		await dord.locator("button[data-action=ack]").dispatchEvent("click");
		await dord.locator("[data-role=msg]", { hasText: "操作冲突" }).waitFor();
		seen.conflict = await dord.locator("[data-role=msg]").textContent();
		await page.unroute(listUrl);
		await dord.locator("[data-role=state]", { hasText: "已确认" }).waitFor();

		// dismiss, with a reason: it leaves the list
		await dord.locator("button[data-action=dismiss]").click();
		await dord.locator("form[data-form=dismiss] input[name=reason]").fill("误报：非本区事件");
		await dord.locator("form[data-form=dismiss] button[type=submit]").click();
		await dord.waitFor({ state: "detached" });
		check(await page.locator("li.incident").count() === 1, "one incident left");
		await page.screenshot({ path: path.join(OUT, "dashboard-desktop-after.png"), fullPage: true });
		await desk.close();
	} catch (e) {
		if (page !== null && !page.isClosed())
			await page.screenshot({ path: path.join(OUT, "dashboard-failure.png"), fullPage: true })
				.catch(() => {});
		throw e;
	} finally {
		await browser.close();
	}
	seen.requests = requests;
	seen.consoleErrors = consoleErrors;
	console.log(JSON.stringify(seen));
}

main().catch((e) => {
	console.error(e && e.stack ? e.stack : String(e));
	console.error("requests: " + JSON.stringify(requests));
	console.error("console errors: " + JSON.stringify(consoleErrors));
	process.exit(1);
});
