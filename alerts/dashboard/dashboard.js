/*
 * The on-call dashboard (值班看板).  A static page: every datum comes from
 * the daemon's JSON API with the operator's bearer token, which the page
 * asks for once and keeps in sessionStorage (this tab only).
 *
 * Time left is counted on the daemon's clock, never the browser's: each
 * list answer carries the daemon's "now" (ms) and "time_scale", and in
 * between the page advances that instant by the real time elapsed
 * (performance.now()) times the scale, so a demo clock running 60 or 3600
 * times fast counts down at its own pace.
 *
 * Urgency, from the time left to an incident's next unmet deadline:
 * overdue red, under 1 h orange, under 5 h amber (the window of a major
 * incident's release), 5 h or more green, nothing pending grey.
 *
 * Everything from the API is put into the page with textContent or as an
 * attribute value (links only when http: or https:), never as markup.
 * Answers: 401 asks for the token again, 403 says the token is read-only,
 * 409 shows the conflict and reloads the list.
 */
"use strict";

(function () {
	const LIST_MS = 5000; /* the incident list, real ms */
	const FEEDS_MS = 15000; /* feeds and /healthz */
	const DETAIL_MS = 60000; /* an open evidence panel's items */
	const DETAIL_GAP_MS = 100; /* between two detail requests */
	const HOUR = 3600 * 1000;
	const TOKEN_KEY = "yuqing.dashboard.token";
	const ITEMS_SHOWN = 50;

	/* A lookup table without a prototype: "constructor" or "__proto__"
	 * from the API are unknown names, not Object's members. */
	function table(o) {
		return Object.freeze(Object.assign(Object.create(null), o));
	}

	const CLASSES = table({ major: "重大舆情", ordinary: "一般舆情" });
	const CATEGORIES = table({ other: "其他" });
	const STATES = table({ open: "待确认", acknowledged: "已确认",
		closed: "已结束", dismissed: "已排除" });
	const MILESTONES = table({ release: "发布权威信息",
		presser: "召开新闻发布会", response: "回应关切" });
	const MS_STATES = table({ pending: "进行中", met: "已按时完成",
		met_late: "已完成（超时）", breached: "已超时" });
	const DONE = table({
		ack: "已确认收到，升级提醒已停止。",
		respond: "已记录回应。",
		dismiss: "已排除。",
	});

	const $ = (id) => document.getElementById(id);

	let token = null;
	let readOnly = false;
	let generation = 0; /* bumped on logout: older answers are dropped */
	let clock = null; /* {now: daemon ms, at: performance.now(), scale} */
	let offsetMin = 480; /* the daemon's display zone, from /healthz */
	const cards = new Map(); /* incident id -> card */
	const detailQueue = [];
	let detailBusy = false;

	/* -- time ---------------------------------------------------------- */

	function daemonNow() {
		if (clock === null)
			return null;
		return clock.now + (performance.now() - clock.at) * clock.scale;
	}

	function setClock(now, scale, at) {
		if (typeof now !== "number" || !isFinite(now))
			return;
		const s = typeof scale === "number" && scale > 0 ? scale : 1;
		clock = { now: now, at: at, scale: s };
		const badge = $("scale");
		badge.hidden = s === 1;
		badge.textContent = "时钟 ×" + (Math.round(s * 100) / 100);
		badge.title = "监测时钟比真实时间快 " + s + " 倍（演示或测试）";
	}

	function urgency(left) {
		if (left === null)
			return "none";
		if (left <= 0)
			return "overdue";
		if (left < HOUR)
			return "urgent";
		if (left < 5 * HOUR)
			return "soon";
		return "ok";
	}

	function pad(n) {
		return String(n).padStart(2, "0");
	}

	/* "04:39:12", "1天 23:20:00" for ms >= 0 */
	function duration(ms) {
		const s = Math.floor(ms / 1000);
		const d = Math.floor(s / 86400);
		const hms = pad(Math.floor((s % 86400) / 3600)) + ":" +
			pad(Math.floor((s % 3600) / 60)) + ":" + pad(s % 60);
		return d > 0 ? d + "天 " + hms : hms;
	}

	function countdown(left) {
		if (left > 0)
			return "剩余 " + duration(Math.ceil(left / 1000) * 1000);
		return "超时 " + duration(-left);
	}

	/* Broken-down time in the daemon's zone. */
	function local(ms) {
		const d = new Date(ms + offsetMin * 60000);
		return {
			y: d.getUTCFullYear(),
			mo: pad(d.getUTCMonth() + 1),
			d: pad(d.getUTCDate()),
			h: pad(d.getUTCHours()),
			mi: pad(d.getUTCMinutes()),
			s: pad(d.getUTCSeconds()),
		};
	}

	function fmtShort(ms) {
		const t = local(ms);
		return t.mo + "-" + t.d + " " + t.h + ":" + t.mi;
	}

	function fmtFull(ms) {
		const t = local(ms);
		return t.y + "-" + t.mo + "-" + t.d + " " + t.h + ":" + t.mi + ":" +
			t.s;
	}

	function ago(ms) {
		if (ms < 60000)
			return "刚刚";
		if (ms < HOUR)
			return Math.floor(ms / 60000) + " 分钟前";
		if (ms < 24 * HOUR)
			return Math.floor(ms / HOUR) + " 小时前";
		return Math.floor(ms / (24 * HOUR)) + " 天前";
	}

	function isTime(v) {
		return typeof v === "number" && isFinite(v) && v > 0;
	}

	/* -- DOM helpers --------------------------------------------------- */

	function el(tag, cls, text) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (text !== undefined)
			e.textContent = String(text);
		return e;
	}

	/* An http(s) URL as a string, or null: nothing else becomes a link. */
	function safeUrl(s) {
		if (typeof s !== "string" || s === "")
			return null;
		try {
			const u = new URL(s);
			return u.protocol === "http:" || u.protocol === "https:"
				? u.href : null;
		} catch (e) {
			return null;
		}
	}

	function link(text, url) {
		const safe = safeUrl(url);
		if (safe === null)
			return el("span", "", text);
		const a = el("a", "", text);
		a.href = safe;
		a.target = "_blank";
		a.rel = "noopener noreferrer";
		a.referrerPolicy = "no-referrer";
		return a;
	}

	function str(v) {
		return typeof v === "string" ? v : "";
	}

	/* -- the API ------------------------------------------------------- */

	/* {status (0: no answer), doc (parsed JSON or null), at, gen} */
	async function api(method, path, body) {
		const gen = generation;
		const init = {
			method: method,
			headers: {
				Authorization: "Bearer " + token,
				Accept: "application/json",
			},
			cache: "no-store",
			credentials: "omit",
			redirect: "error",
			referrerPolicy: "no-referrer",
		};
		if (body !== undefined) {
			init.headers["Content-Type"] = "application/json";
			init.body = JSON.stringify(body);
		}
		let res;
		try {
			res = await fetch(path, init);
		} catch (e) {
			return { status: 0, doc: null, at: performance.now(), gen: gen };
		}
		const at = performance.now();
		let doc = null;
		try {
			doc = await res.json();
		} catch (e) {
			doc = null;
		}
		return { status: res.status, doc: doc, at: at, gen: gen };
	}

	function errorText(r) {
		return r.doc && typeof r.doc.error === "string" ? r.doc.error : "";
	}

	/* 401: the token is unknown (or gone from the configuration). */
	function unauthorized(r) {
		if (r.status !== 401)
			return false;
		logout("令牌无效或已失效，请重新输入。");
		return true;
	}

	/* One poll loop: never two requests of it at once, one timer. */
	function poller(fn, period) {
		let busy = false;
		let again = false;
		let timer = null;
		const p = {
			run: async function () {
				if (busy) {
					again = true;
					return;
				}
				busy = true;
				clearTimeout(timer);
				timer = null;
				try {
					await fn();
				} catch (e) {
					console.error(e);
				}
				busy = false;
				if (token === null)
					return;
				if (again) {
					again = false;
					p.run();
					return;
				}
				clearTimeout(timer);
				timer = setTimeout(p.run, period);
			},
			stop: function () {
				clearTimeout(timer);
				timer = null;
				again = false;
			},
		};
		return p;
	}

	function setConn(ok, r) {
		const c = $("conn");
		c.classList.toggle("bad", !ok);
		if (ok) {
			const now = daemonNow();
			c.textContent = now === null ? "已连接"
				: "已更新 " + fmtFull(now).slice(11);
		} else if (r.status === 0) {
			c.textContent = "无法连接监测服务，正在重试";
		} else {
			c.textContent = "刷新失败（HTTP " + r.status + "），正在重试";
		}
	}

	/* -- incidents ----------------------------------------------------- */

	const list = poller(async function () {
		const r = await api("GET", "api/incidents");
		if (r.gen !== generation || unauthorized(r))
			return;
		if (r.status === 200 && r.doc && Array.isArray(r.doc.incidents)) {
			setClock(r.doc.now, r.doc.time_scale, r.at);
			render(r.doc.incidents);
			setConn(true);
		} else {
			setConn(false, r);
		}
	}, LIST_MS);

	function nextDue(inc) {
		return typeof inc.next_due === "number" ? inc.next_due : null;
	}

	/* By time left: the soonest deadline first, none last. */
	function byTimeLeft(a, b) {
		const x = nextDue(a);
		const y = nextDue(b);
		if ((x === null) !== (y === null))
			return x === null ? 1 : -1;
		if (x !== y)
			return x - y;
		return str(a.id).localeCompare(str(b.id), "en", { numeric: true });
	}

	function render(incs) {
		const ol = $("incidents");
		const seen = new Set();
		let i = 0;

		incs.slice().sort(byTimeLeft).forEach(function (inc) {
			if (!inc || typeof inc.id !== "string" || seen.has(inc.id))
				return;
			seen.add(inc.id);
			let c = cards.get(inc.id);
			if (c === undefined) {
				c = makeCard(inc);
				cards.set(inc.id, c);
				wantDetail(c);
			}
			update(c, inc);
			if (ol.children[i] !== c.el)
				ol.insertBefore(c.el, ol.children[i] || null);
			i++;
		});
		for (const [id, c] of cards) {
			if (!seen.has(id)) {
				c.el.remove();
				cards.delete(id);
			}
		}
		$("count").textContent = "（" + seen.size + " 件）";
		$("empty").hidden = seen.size > 0;
		tick();
	}

	function makeCard(inc) {
		const el0 = $("incident-tpl").content.firstElementChild
			.cloneNode(true);
		const q = (sel) => el0.querySelector(sel);
		const c = {
			el: el0,
			inc: inc,
			countdown: q("[data-role=countdown]"),
			cls: q("[data-role=class]"),
			state: q("[data-role=state]"),
			title: q("[data-role=title]"),
			meta: q("[data-role=meta]"),
			departments: q("[data-role=departments]"),
			milestones: q("[data-role=milestones]"),
			evidence: q("[data-role=evidence]"),
			evidenceCount: q("[data-role=evidence-count]"),
			link: q("[data-role=link]"),
			items: q("[data-role=items]"),
			msg: q("[data-role=msg]"),
			ack: q("[data-action=ack]"),
			respond: q("[data-action=respond]"),
			dismiss: q("[data-action=dismiss]"),
			respondForm: q("[data-form=respond]"),
			dismissForm: q("[data-form=dismiss]"),
			msLeft: [],
			detailAt: 0,
			detailQueued: false,
			ackedBy: "",
		};
		el0.dataset.id = inc.id;
		c.ack.addEventListener("click", function () {
			act(c, "ack", {});
		});
		c.respond.addEventListener("click", function () {
			toggleForm(c, c.respondForm);
		});
		c.dismiss.addEventListener("click", function () {
			toggleForm(c, c.dismissForm);
		});
		el0.querySelectorAll("[data-cancel]").forEach(function (b) {
			b.addEventListener("click", function () {
				b.closest("form").hidden = true;
			});
		});
		c.respondForm.addEventListener("submit", function (e) {
			e.preventDefault();
			const f = c.respondForm.elements;
			const url = f.evidence.value.trim();
			if (safeUrl(url) === null) {
				say(c, "证据链接须以 http:// 或 https:// 开头。", "bad");
				return;
			}
			const body = { milestone: f.milestone.value, evidence: url };
			if (f.note.value.trim() !== "")
				body.note = f.note.value.trim();
			act(c, "respond", body);
		});
		c.dismissForm.addEventListener("submit", function (e) {
			e.preventDefault();
			const reason = c.dismissForm.elements.reason.value.trim();
			if (reason === "") {
				say(c, "请填写排除原因。", "bad");
				return;
			}
			act(c, "dismiss", { reason: reason });
		});
		c.evidence.addEventListener("toggle", function () {
			if (c.evidence.open &&
				performance.now() - c.detailAt > 10000)
				wantDetail(c);
		});
		return c;
	}

	function unmet(inc) {
		const ms = Array.isArray(inc.milestones) ? inc.milestones : [];
		return ms.filter(function (m) {
			return m && m.state !== "met" && m.state !== "met_late";
		});
	}

	function toggleForm(c, form) {
		const other = form === c.respondForm ? c.dismissForm
			: c.respondForm;
		other.hidden = true;
		form.hidden = !form.hidden;
		if (form.hidden)
			return;
		if (form === c.respondForm) {
			const sel = form.elements.milestone;
			sel.replaceChildren();
			unmet(c.inc).forEach(function (m) {
				const o = el("option", "",
					MILESTONES[m.name] || str(m.name));
				o.value = str(m.name);
				sel.append(o);
			});
		}
		const first = form.querySelector("input, select");
		if (first)
			first.focus();
	}

	function say(c, text, kind) {
		c.msg.textContent = text;
		c.msg.className = "msg" + (kind ? " " + kind : "");
	}

	function update(c, inc) {
		c.inc = inc;
		const state = str(inc.state);
		const active = state === "open" || state === "acknowledged";

		c.cls.textContent = CLASSES[inc.class] || str(inc.class);
		c.cls.className = "badge" + (inc.class === "major" ? " major" : "");
		c.state.textContent = STATES[state] || state;
		c.state.className = "badge" + (STATES[state] ? " " + state : "");
		c.el.dataset.state = state;
		c.title.textContent = str(inc.title);

		const meta = [];
		if (str(inc.grade) !== "" && inc.grade !== "unknown")
			meta.push("级别：" + inc.grade);
		if (str(inc.category) !== "")
			meta.push(CATEGORIES[inc.category] || inc.category);
		if (isTime(inc.first_seen))
			meta.push("发现于 " + fmtShort(inc.first_seen));
		if (state === "acknowledged" && c.ackedBy !== "")
			meta.push("确认人：" + c.ackedBy);
		c.meta.textContent = meta.join(" · ");

		const deps = Array.isArray(inc.departments)
			? inc.departments.filter((d) => typeof d === "string") : [];
		c.departments.textContent = deps.length ? deps.join("、")
			: "未指定";

		c.milestones.replaceChildren();
		c.msLeft = [];
		(Array.isArray(inc.milestones) ? inc.milestones : [])
			.forEach(function (m) {
				if (!m || typeof m !== "object")
					return;
				const li = el("li");
				const met = m.state === "met" || m.state === "met_late";
				li.dataset.milestone = str(m.name);
				li.append(el("span", "ms-name",
					MILESTONES[m.name] || str(m.name)));
				if (isTime(m.due))
					li.append(el("span", "ms-due",
						"截止 " + fmtShort(m.due)));
				const left = el("span", "ms-left");
				left.dataset.role = "ms-left";
				if (met) {
					li.className = "met";
					left.textContent = (MS_STATES[m.state] || "") +
						(isTime(m.met_at) ? " " + fmtShort(m.met_at) : "");
				} else if (isTime(m.due)) {
					c.msLeft.push({ li: li, el: left, due: m.due });
				}
				li.append(left);
				c.milestones.append(li);
			});

		const url = safeUrl(inc.link);
		c.link.textContent = url !== null ? "原文：" + inc.link
			: "原文链接：" + (str(inc.link) || "无");
		if (url !== null)
			c.link.href = url;
		else
			c.link.removeAttribute("href");

		c.ack.hidden = state !== "open";
		c.respond.hidden = !active || unmet(inc).length === 0;
		c.dismiss.hidden = !active;
		[c.ack, c.respond, c.dismiss].forEach(function (b) {
			b.disabled = readOnly || c.busy === true;
		});
		if (!active) {
			c.respondForm.hidden = true;
			c.dismissForm.hidden = true;
		}
		if (c.evidence.open && performance.now() - c.detailAt > DETAIL_MS)
			wantDetail(c);
		const now = daemonNow();
		if (now !== null)
			tickCard(c, now);
	}

	/* A card's countdowns and urgency colour at now (daemon ms). */
	function tickCard(c, now) {
		const due = nextDue(c.inc);
		const left = due === null ? null : due - now;
		const u = urgency(left);
		if (c.el.dataset.urgency !== u)
			c.el.dataset.urgency = u;
		c.countdown.textContent = left === null ? "无待办时限"
			: countdown(left);
		c.msLeft.forEach(function (m) {
			const l = m.due - now;
			m.el.textContent = countdown(l);
			m.li.dataset.urgency = urgency(l);
		});
	}

	/* Every second: the clock and every card. */
	function tick() {
		const now = daemonNow();
		if (now === null)
			return;
		$("now").textContent = fmtFull(now);
		for (const c of cards.values())
			tickCard(c, now);
	}

	/* -- one incident's evidence (items) ------------------------------- */

	function wantDetail(c) {
		if (c.detailQueued)
			return;
		c.detailQueued = true;
		detailQueue.push(c);
		pumpDetails();
	}

	async function pumpDetails() {
		if (detailBusy)
			return;
		detailBusy = true;
		while (detailQueue.length > 0 && token !== null) {
			const c = detailQueue.shift();
			c.detailQueued = false;
			if (cards.get(c.inc.id) !== c)
				continue;
			const r = await api("GET",
				"api/incidents/" + encodeURIComponent(c.inc.id));
			if (r.gen !== generation || unauthorized(r))
				break;
			if (r.status === 200 && r.doc)
				showDetail(c, r.doc);
			await new Promise((ok) => setTimeout(ok, DETAIL_GAP_MS));
		}
		detailBusy = false;
	}

	function showDetail(c, doc) {
		c.detailAt = performance.now();
		const items = Array.isArray(doc.items) ? doc.items : [];
		const history = Array.isArray(doc.history) ? doc.history : [];

		c.evidenceCount.textContent = "原文链接及 " + items.length +
			" 条相关报道";
		c.items.replaceChildren();
		items.slice(0, ITEMS_SHOWN).forEach(function (it) {
			if (!it || typeof it !== "object")
				return;
			const li = el("li");
			li.append(link(str(it.title) || str(it.link) || "（无标题）",
				it.link));
			const meta = [];
			if (str(it.feed) !== "")
				meta.push(it.feed);
			if (isTime(it.published))
				meta.push("发布 " + fmtShort(it.published));
			else if (isTime(it.first_seen))
				meta.push("发现 " + fmtShort(it.first_seen));
			if (meta.length)
				li.append(el("div", "item-meta", meta.join(" · ")));
			c.items.append(li);
		});
		if (items.length > ITEMS_SHOWN)
			c.items.append(el("li", "item-meta",
				"另有 " + (items.length - ITEMS_SHOWN) + " 条未显示"));

		c.ackedBy = "";
		history.forEach(function (h) {
			if (h && h.event === "acknowledged")
				c.ackedBy = str(h.detail).replace(/^by /, "");
		});
		update(c, c.inc);
	}

	/* -- actions ------------------------------------------------------- */

	function setReadOnly() {
		readOnly = true;
		const b = $("banner");
		b.textContent = "当前为只读令牌：可以查看，不能确认、回应或排除。";
		b.hidden = false;
		for (const c of cards.values())
			update(c, c.inc);
	}

	/* A 409's reason, in words for the operator. */
	function conflictText(r) {
		const e = errorText(r);
		let m;
		if (e === "already acknowledged")
			return "该事件已被确认";
		if ((m = /^not possible in state (\w+)$/.exec(e)) !== null)
			return "事件当前为“" + (STATES[m[1]] || m[1]) + "”状态";
		if ((m = /^(\w+) already met or closed$/.exec(e)) !== null)
			return "“" + (MILESTONES[m[1]] || m[1]) + "”已完成或事件已关闭";
		return "事件状态已变化" + (e ? "（" + e + "）" : "");
	}

	async function act(c, action, body) {
		if (readOnly) {
			say(c, "只读令牌：无权执行此操作。", "bad");
			return;
		}
		c.busy = true;
		update(c, c.inc);
		say(c, "正在提交…");
		const r = await api("POST", "api/incidents/" +
			encodeURIComponent(c.inc.id) + "/" + action, body);
		c.busy = false;
		if (r.gen !== generation)
			return;
		update(c, c.inc);
		if (r.status === 200 && r.doc && r.doc.incident &&
			typeof r.doc.incident === "object") {
			c.respondForm.hidden = true;
			c.dismissForm.hidden = true;
			c.respondForm.reset();
			c.dismissForm.reset();
			say(c, DONE[action] || "已完成。", "good");
			update(c, r.doc.incident);
			wantDetail(c);
			list.run();
			return;
		}
		if (unauthorized(r))
			return;
		switch (r.status) {
		case 403:
			setReadOnly();
			say(c, "只读令牌：无权执行此操作。", "bad");
			return;
		case 409:
			say(c, "操作冲突：" + conflictText(r) + "，已刷新为最新状态。",
				"bad");
			list.run();
			return;
		case 404:
			say(c, "事件不存在（可能已合并），已刷新。", "bad");
			list.run();
			return;
		case 400:
			say(c, "提交内容有误：" + errorText(r), "bad");
			return;
		case 429:
			say(c, "请求过于频繁，请稍后重试。", "bad");
			return;
		case 503:
			say(c, "监测服务暂时无法记录操作（Redis 不可用），未执行，请稍后重试。",
				"bad");
			return;
		case 0:
			say(c, "无法连接监测服务，未执行，请检查网络后重试。", "bad");
			return;
		default:
			say(c, "操作失败（HTTP " + r.status + "）" +
				(errorText(r) ? "：" + errorText(r) : ""), "bad");
		}
	}

	/* -- feeds health -------------------------------------------------- */

	async function healthz() {
		try {
			const res = await fetch("healthz", {
				cache: "no-store",
				credentials: "omit",
				redirect: "error",
			});
			return await res.json();
		} catch (e) {
			return null;
		}
	}

	const feeds = poller(async function () {
		const gen = generation;
		const both = await Promise.all([api("GET", "api/feeds"), healthz()]);
		const r = both[0];
		const h = both[1];
		if (gen !== generation || unauthorized(r))
			return;
		showHealth(h);
		if (r.status === 200 && r.doc && Array.isArray(r.doc.feeds))
			showFeeds(r.doc.feeds);
	}, FEEDS_MS);

	function showHealth(h) {
		const p = $("health");
		p.replaceChildren();
		if (!h || typeof h !== "object") {
			p.append(el("span", "dot bad"), "监测服务无应答");
			return;
		}
		const m = /([+-])(\d\d):(\d\d)$/.exec(str(h.now));
		if (m !== null)
			offsetMin = (m[1] === "-" ? -1 : 1) *
				(Number(m[2]) * 60 + Number(m[3]));
		const ok = h.status === "ok";
		const redis = h.redis && typeof h.redis === "object"
			? str(h.redis.state) : "";
		p.append(el("span", "dot" + (ok ? "" : " bad")),
			ok ? "监测服务正常，Redis 已连接"
				: "监测服务异常：" + (str(h.reason) || redis));
	}

	function showFeeds(fs) {
		const ul = $("feeds");
		const now = daemonNow();
		const sorted = fs.filter((f) => f && typeof f === "object")
			.sort(function (a, b) {
				if (Boolean(a.down) !== Boolean(b.down))
					return a.down ? -1 : 1;
				return str(a.id).localeCompare(str(b.id));
			});
		let down = 0;
		ul.replaceChildren();
		sorted.forEach(function (f) {
			const tried = isTime(f.last_attempt);
			const li = el("li", "feed" + (f.down ? " down"
				: tried ? "" : " idle"));
			li.dataset.feed = str(f.id);
			if (f.down)
				down++;
			const head = el("div", "feed-head");
			head.append(el("span", "", str(f.id)),
				el("span", "feed-state",
					f.down ? "故障" : tried ? "正常" : "尚未抓取"));
			li.append(head);
			const stats = [];
			stats.push("上次成功 " + (isTime(f.last_success) && now !== null
				? ago(Math.max(0, now - f.last_success)) : "无"));
			if (typeof f.items === "number")
				stats.push("条目 " + f.items);
			if (typeof f.latency_ms === "number" && f.latency_ms > 0)
				stats.push("耗时 " + f.latency_ms + " ms");
			if (typeof f.failures === "number" && f.failures > 0)
				stats.push("失败 " + f.failures + " 次");
			li.append(el("div", "feed-stats", stats.join(" · ")));
			if (str(f.last_error) !== "")
				li.append(el("div", "feed-error", "错误：" + f.last_error +
					(f.last_status > 0 ? "（HTTP " + f.last_status + "）"
						: "")));
			li.append(el("div", "feed-url", str(f.url)));
			ul.append(li);
		});
		$("feeds-count").textContent = "（" + sorted.length + " 个" +
			(down > 0 ? "，" + down + " 个故障" : "") + "）";
	}

	/* -- token --------------------------------------------------------- */

	function login(t) {
		token = t;
		try {
			sessionStorage.setItem(TOKEN_KEY, t);
		} catch (e) {
			/* storage off: the token lives as long as the page */
		}
		$("login").hidden = true;
		$("login-error").hidden = true;
		$("board").hidden = false;
		$("logout").hidden = false;
		list.run();
		feeds.run();
	}

	function logout(why) {
		generation++;
		token = null;
		readOnly = false;
		try {
			sessionStorage.removeItem(TOKEN_KEY);
		} catch (e) {
			/* nothing kept */
		}
		list.stop();
		feeds.stop();
		detailQueue.length = 0;
		for (const c of cards.values())
			c.el.remove();
		cards.clear();
		$("banner").hidden = true;
		$("board").hidden = true;
		$("logout").hidden = true;
		$("login").hidden = false;
		$("conn").textContent = "未连接";
		$("conn").classList.remove("bad");
		const err = $("login-error");
		err.textContent = why || "";
		err.hidden = !why;
		$("token").focus();
	}

	function start() {
		$("login-form").addEventListener("submit", function (e) {
			e.preventDefault();
			const t = $("token").value.trim();
			const err = $("login-error");
			if (!/^[\x21-\x7e]{1,256}$/.test(t)) {
				err.textContent = "令牌由字母、数字和符号组成，不含空格和中文。";
				err.hidden = false;
				return;
			}
			$("token").value = "";
			login(t);
		});
		$("logout").addEventListener("click", function () {
			logout("");
		});
		document.addEventListener("visibilitychange", function () {
			if (!document.hidden && token !== null) {
				list.run();
				feeds.run();
			}
		});
		setInterval(tick, 1000);
		let saved = null;
		try {
			saved = sessionStorage.getItem(TOKEN_KEY);
		} catch (e) {
			saved = null;
		}
		if (saved)
			login(saved);
		else
			logout("");
	}

	start();
})();
