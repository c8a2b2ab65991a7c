#!/usr/bin/python3
"""Write a deterministic corpus of Chinese news feeds for the benchmarks.

    gen_corpus.py [--feeds N] [--seed S] [--gbk-share F] [--formats W] OUTDIR

Every file is feedK.xml (RSS 2.0, Atom 1.0, RSS 1.0/RDF) or feedK.json
(JSON Feed 1.1), K = 0 .. N-1.  Formats are drawn with fixed weights
(default rss20:40,atom10:25,rss10:15,json1:20; the poll benchmark drops
json1 because newsboat 2.21 cannot read JSON Feed); a
share of the XML feeds (10 % of all feeds by default) is encoded in GBK and
says so in its XML declaration (encoding="gbk").  Each feed has 20-50 items
with Chinese titles and HTML descriptions (paragraphs, links, images,
entities, CDATA or escaped markup) and dates in the spellings Chinese sites
use.  The same seed gives byte-identical files; manifest.json lists every
file with its format, encoding, item count and size.  Standard library
only; every document is well-formed.
"""

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sys
from xml.sax.saxutils import escape, quoteattr

GENERATOR_VERSION = 1
BASE_TIME = dt.datetime(2026, 11, 20, 9, 0, 0,
                        tzinfo=dt.timezone(dt.timedelta(hours=8)))
CST = dt.timezone(dt.timedelta(hours=8))

FORMATS = "rss20:40,atom10:25,rss10:15,json1:20"

PLACES = ["大通区", "洛河镇", "上窑镇", "九龙岗镇", "孔店乡", "大通街道",
          "淮南市", "田家庵区", "谢家集区", "八公山区", "潘集区", "凤台县",
          "寿县", "合肥市", "安徽省", "舜耕镇", "洞山街道", "国庆街道"]
ACTORS = ["区人民政府", "区应急管理局", "区卫生健康委员会", "区住房和城乡建设局",
          "区市场监督管理局", "镇党委", "区公安分局", "区生态环境分局",
          "区教育体育局", "区交通运输局", "区委宣传部", "街道办事处",
          "社区居委会", "区消防救援大队", "区自然资源和规划分局",
          "区人力资源和社会保障局", "区民政局", "区城市管理局"]
ACTIONS = ["召开", "发布", "通报", "回应", "部署", "开展", "举行", "启动",
           "公布", "印发", "组织", "推进", "约谈", "督查"]
OBJECTS = ["防汛抗旱工作部署会", "安全生产专项整治行动", "新闻发布会",
           "暴雨橙色预警", "冬季供暖保障工作会议", "老旧小区改造项目进展",
           "燃气管道泄漏事故处置情况", "食品安全抽检结果", "交通事故调查进展",
           "环境污染投诉处理结果", "校园周边安全隐患排查", "居民反映强烈的噪音问题",
           "农民工工资拖欠问题专项治理", "网传“自来水发黄”情况说明",
           "第三季度财政预算执行情况", "重点项目建设推进会",
           "森林防火紧急通知", "秸秆禁烧工作督查情况", "疫苗接种安排",
           "地质灾害隐患点巡查", "养老服务中心建设方案", "矿区塌陷区治理规划"]
PREFIXES = ["", "", "", "【突发】", "【通报】", "【关注】", "【权威发布】",
            "【辟谣】", "【民生】", "【快讯】"]
OPENERS = ["据了解，", "记者从{actor}获悉，", "{time}，", "近日，", "目前，",
           "截至{time}，", "针对网民反映的问题，", "经初步调查，", "另据通报，"]
BODIES = ["{place}{actor}{action}{object}",
          "现场已有{n}名工作人员参与处置",
          "相关部门已介入调查，具体原因正在进一步核实中",
          "共排查隐患{n}处，已整改{m}处",
          "已有{n}户居民恢复正常供水供电",
          "事故造成{m}人轻伤，伤者已送往{place}人民医院救治，均无生命危险",
          "{actor}表示将依法依规严肃处理，并及时向社会公布调查结果",
          "请广大市民注意出行安全，关注官方发布的权威信息",
          "会议强调，要坚持人民至上、生命至上，压紧压实各方责任",
          "群众可拨打12345政务服务便民热线反映问题",
          "网传“{place}发生重大事故”系谣言，请勿信谣传谣",
          "本次活动覆盖{place}{n}个社区、{m}个村",
          "下一步，{actor}将持续跟踪，做好善后工作"]
AUTHORS = ["大通发布", "淮南日报", "新华社", "人民网", "安徽新闻网", "记者 王磊",
           "记者 李娜", "通讯员 张伟", "区融媒体中心", "中国新闻网"]
CATEGORIES = ["政务要闻", "部门动态", "乡镇动态", "通知公告", "民生关注",
              "应急管理", "辟谣", "图片新闻"]
EMOJI = ["🔥", "⚠️", "📢", "✅", "👍"]  # UTF-8 feeds only (not in GBK)


def fmt_rfc822(t):
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
              "Oct", "Nov", "Dec"]
    return "%s, %02d %s %04d %02d:%02d:%02d +0800" % (
        days[t.weekday()], t.day, months[t.month - 1], t.year, t.hour,
        t.minute, t.second)


def fmt_gmt(t):
    u = t.astimezone(dt.timezone.utc)
    return fmt_rfc822(u).replace("+0800", "GMT")


def fmt_iso(t):
    return t.isoformat()


def fmt_naive(t):
    return t.strftime("%Y-%m-%d %H:%M:%S")


class Gen:
    def __init__(self, rng, utf8):
        self.r = rng
        self.utf8 = utf8

    def pick(self, seq):
        return self.r.choice(seq)

    def fill(self, s, t):
        return s.format(place=self.pick(PLACES), actor=self.pick(ACTORS),
                        action=self.pick(ACTIONS), object=self.pick(OBJECTS),
                        n=self.r.randint(3, 300), m=self.r.randint(1, 30),
                        time="%d月%d日%d时" % (t.month, t.day, t.hour))

    def title(self, t):
        s = self.pick(PREFIXES) + self.fill("{place}{actor}{action}{object}",
                                            t)
        if self.r.random() < 0.3:
            s += "（%d月%d日）" % (t.month, t.day)
        if self.utf8 and self.r.random() < 0.05:
            s = self.pick(EMOJI) + s
        return s

    def sentence(self, t):
        return self.fill(self.pick(OPENERS), t) + \
            self.fill(self.pick(BODIES), t) + "。"

    def html(self, t, link):
        """An HTML description as sites write it."""
        paras = []
        for _ in range(self.r.randint(2, 6)):
            ss = "".join(self.sentence(t)
                         for _ in range(self.r.randint(1, 3)))
            k = self.r.random()
            if k < 0.2:
                ss = "<strong>%s</strong>%s" % (ss[:8], ss[8:])
            elif k < 0.3:
                ss = ss.replace("，", "，<br/>", 1)
            elif k < 0.4:
                ss = "&nbsp;&nbsp;" + ss + "&hellip;"
            elif k < 0.5:
                ss = "&ldquo;%s&rdquo;" % ss
            paras.append('<p style="text-indent:2em;">%s</p>' % ss)
        if self.r.random() < 0.4:
            paras.insert(1, '<p><img src="%s/images/%d.jpg" alt="图片" '
                         'width="600" /></p>' % (
                             link.rsplit("/", 1)[0],
                             self.r.randint(1000, 9999)))
        if self.r.random() < 0.6:
            paras.append('<p>（来源：%s　责任编辑：%s）<a href="%s" '
                         'target="_blank">阅读原文</a></p>' % (
                             self.pick(AUTHORS), self.pick(["王芳", "刘洋",
                                                            "陈静"]), link))
        if self.r.random() < 0.1:
            paras.append("<script>var pv=1;</script>")
        return "".join(paras)


def item_times(rng, n):
    t = BASE_TIME - dt.timedelta(minutes=rng.randint(0, 600))
    out = []
    for _ in range(n):
        out.append(t)
        t -= dt.timedelta(minutes=rng.randint(5, 240), seconds=rng.randint(0,
                                                                            59))
    return out


def site(rng, k):
    host = rng.choice(["www.hndt.gov.cn", "www.huainan.gov.cn",
                       "news.hnnews.cn", "ah.people.com.cn",
                       "www.ahnews.com.cn", "rsshub.example.cn"])
    return "https://%s" % host, "/xwzx/%s/" % rng.choice(
        ["zwyw", "bmdt", "xzdt", "tzgg", "mszx"]) + str(k)


def rss20(g, k, n, enc):
    r = g.r
    base, path = site(r, k)
    times = item_times(r, n)
    out = ['<?xml version="1.0" encoding="%s"?>' % enc,
           '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:atom="http://www.w3.org/2005/Atom">', "<channel>",
           "<title>%s</title>" % escape(r.choice(PLACES) + r.choice(
               ACTORS) + " - " + r.choice(CATEGORIES)),
           "<link>%s%s</link>" % (base, path),
           "<description>%s</description>" % escape(g.sentence(times[0])),
           "<language>zh-cn</language>",
           "<lastBuildDate>%s</lastBuildDate>" % fmt_rfc822(times[0]),
           "<generator>TRS WCM 7.0</generator>"]
    if r.random() < 0.5:
        out.append("<ttl>%d</ttl>" % r.choice([5, 10, 30, 60]))
    datefmt = r.choice([fmt_rfc822, fmt_rfc822, fmt_gmt, fmt_naive])
    for i, t in enumerate(times):
        link = "%s%s/t%s_%d.html" % (base, path, t.strftime("%Y%m%d"),
                                     100000 + k * 100 + i)
        desc = g.html(t, link)
        out.append("<item>")
        out.append("<title>%s</title>" % escape(g.title(t)))
        out.append("<link>%s</link>" % escape(link))
        if r.random() < 0.5:
            out.append("<description><![CDATA[%s]]></description>" % desc)
        else:
            out.append("<description>%s</description>" % escape(desc))
        if r.random() < 0.15:
            out.append("<content:encoded><![CDATA[%s%s]]></content:encoded>"
                       % (desc, g.html(t, link)))
        out.append("<pubDate>%s</pubDate>" % datefmt(t))
        if r.random() < 0.7:
            out.append('<guid isPermaLink="false">%s-%d</guid>' % (
                path.strip("/").replace("/", "-"), 100000 + k * 100 + i))
        else:
            out.append("<guid>%s</guid>" % escape(link))
        out.append("<dc:creator>%s</dc:creator>" % escape(r.choice(AUTHORS)))
        out.append("<category>%s</category>" % r.choice(CATEGORIES))
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out) + "\n"


def atom10(g, k, n, enc):
    r = g.r
    base, path = site(r, k)
    times = item_times(r, n)
    out = ['<?xml version="1.0" encoding="%s"?>' % enc,
           '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">',
           "<title>%s</title>" % escape(r.choice(PLACES) + r.choice(ACTORS)),
           '<subtitle>%s</subtitle>' % escape(g.sentence(times[0])),
           '<link rel="alternate" type="text/html" href=%s/>' % quoteattr(
               base + path),
           '<link rel="self" href="%s/feed/%d.atom"/>' % (base, k),
           "<id>%s%s</id>" % (base, path),
           "<updated>%s</updated>" % fmt_iso(times[0]),
           "<author><name>%s</name></author>" % escape(r.choice(AUTHORS)),
           '<generator uri="https://example.cn/">CMS</generator>']
    for i, t in enumerate(times):
        link = "%s%s/%s/content_%d.htm" % (base, path, t.strftime("%Y-%m"),
                                           200000 + k * 100 + i)
        out.append("<entry>")
        out.append('<title type="text">%s</title>' % escape(g.title(t)))
        out.append('<link rel="alternate" type="text/html" href=%s/>'
                   % quoteattr(link))
        out.append("<id>tag:%s,%s:%d</id>" % (base[8:], t.strftime(
            "%Y-%m-%d"), 200000 + k * 100 + i))
        out.append("<published>%s</published>" % fmt_iso(t))
        out.append("<updated>%s</updated>" % fmt_iso(
            t + dt.timedelta(minutes=r.randint(0, 90))))
        out.append("<author><name>%s</name></author>" % escape(
            r.choice(AUTHORS)))
        out.append('<category term=%s/>' % quoteattr(r.choice(CATEGORIES)))
        kind = r.random()
        if kind < 0.2:
            out.append('<content type="xhtml"><div '
                       'xmlns="http://www.w3.org/1999/xhtml">%s</div>'
                       '</content>' % "".join(
                           "<p>%s</p>" % escape(g.sentence(t))
                           for _ in range(r.randint(2, 5))))
        elif kind < 0.6:
            out.append('<summary type="html">%s</summary>' % escape(
                g.html(t, link)))
        else:
            out.append('<summary type="text">%s</summary>' % escape(
                g.sentence(t)))
            out.append('<content type="html">%s</content>' % escape(
                g.html(t, link)))
        out.append("</entry>")
    out.append("</feed>")
    return "\n".join(out) + "\n"


def rss10(g, k, n, enc):
    r = g.r
    base, path = site(r, k)
    times = item_times(r, n)
    links = ["%s%s/%d.shtml" % (base, path, 300000 + k * 100 + i)
             for i in range(n)]
    out = ['<?xml version="1.0" encoding="%s"?>' % enc,
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
           'xmlns="http://purl.org/rss/1.0/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/">',
           '<channel rdf:about=%s>' % quoteattr(base + path),
           "<title>%s</title>" % escape(r.choice(PLACES) + r.choice(ACTORS)),
           "<link>%s%s</link>" % (base, path),
           "<description>%s</description>" % escape(g.sentence(times[0])),
           "<dc:date>%s</dc:date>" % fmt_iso(times[0]),
           "<dc:language>zh-cn</dc:language>",
           "<items><rdf:Seq>"]
    out.extend('<rdf:li rdf:resource=%s/>' % quoteattr(l) for l in links)
    out.append("</rdf:Seq></items></channel>")
    for t, link in zip(times, links):
        out.append('<item rdf:about=%s>' % quoteattr(link))
        out.append("<title>%s</title>" % escape(g.title(t)))
        out.append("<link>%s</link>" % escape(link))
        desc = g.html(t, link)
        out.append("<description>%s</description>" % escape(desc))
        if r.random() < 0.2:
            out.append("<content:encoded><![CDATA[%s]]></content:encoded>"
                       % desc)
        out.append("<dc:date>%s</dc:date>" % fmt_iso(t))
        out.append("<dc:creator>%s</dc:creator>" % escape(r.choice(AUTHORS)))
        out.append("<dc:subject>%s</dc:subject>" % r.choice(CATEGORIES))
        out.append("</item>")
    out.append("</rdf:RDF>")
    return "\n".join(out) + "\n"


def json1(g, k, n):
    r = g.r
    base, path = site(r, k)
    times = item_times(r, n)
    items = []
    for i, t in enumerate(times):
        link = "%s%s/%d.html" % (base, path, 400000 + k * 100 + i)
        it = {"id": "%s-%d" % (path.strip("/").replace("/", "-"),
                               400000 + k * 100 + i),
              "url": link,
              "title": g.title(t),
              "content_html": g.html(t, link),
              "date_published": fmt_iso(t),
              "authors": [{"name": r.choice(AUTHORS)}],
              "tags": [r.choice(CATEGORIES)]}
        if r.random() < 0.3:
            it["summary"] = g.sentence(t)
        if r.random() < 0.3:
            it["date_modified"] = fmt_iso(t + dt.timedelta(minutes=30))
        items.append(it)
    doc = {"version": "https://jsonfeed.org/version/1.1",
           "title": r.choice(PLACES) + r.choice(ACTORS),
           "home_page_url": base + path,
           "feed_url": "%s/feed/%d.json" % (base, k),
           "language": "zh-CN",
           "items": items}
    return json.dumps(doc, ensure_ascii=r.random() < 0.5, indent=1) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--feeds", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20261127)
    ap.add_argument("--gbk-share", type=float, default=0.10,
                    help="share of all feeds encoded in GBK (XML only)")
    ap.add_argument("--min-items", type=int, default=20)
    ap.add_argument("--max-items", type=int, default=50)
    ap.add_argument("--formats", default=FORMATS,
                    help="format:weight,... (default %(default)s)")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    try:
        pairs = [p.split(":") for p in a.formats.split(",")]
        names = [f for f, _ in pairs]
        weights = [int(w) for _, w in pairs]
        assert set(names) <= {"rss20", "atom10", "rss10", "json1"}
    except (ValueError, AssertionError):
        ap.error("--formats: expected e.g. rss20:40,atom10:25,rss10:15")
    fmts = rng.choices(names, weights=weights, k=a.feeds)
    xml = [i for i, f in enumerate(fmts) if f != "json1"]
    ngbk = min(len(xml), int(round(a.feeds * a.gbk_share)))
    gbk = set(rng.sample(xml, ngbk))

    os.makedirs(a.outdir, exist_ok=True)
    files, total_items, total_bytes = [], 0, 0
    for k in range(a.feeds):
        # one generator per feed, seeded from (seed, k): any feed can be
        # regenerated alone and the corpus does not shift if N changes
        fr = random.Random("%d/%d" % (a.seed, k))
        enc = "gbk" if k in gbk else fr.choice(["UTF-8", "utf-8"])
        g = Gen(fr, utf8=enc != "gbk")
        n = fr.randint(a.min_items, a.max_items)
        if fmts[k] == "json1":
            text, name = json1(g, k, n), "feed%d.json" % k
        else:
            text = {"rss20": rss20, "atom10": atom10,
                    "rss10": rss10}[fmts[k]](g, k, n, enc)
            name = "feed%d.xml" % k
        data = text.encode("gbk" if enc == "gbk" else "utf-8")
        with open(os.path.join(a.outdir, name), "wb") as f:
            f.write(data)
        files.append({"file": name, "format": fmts[k],
                      "encoding": "gbk" if enc == "gbk" else "utf-8",
                      "items": n, "bytes": len(data),
                      "sha256": hashlib.sha256(data).hexdigest()})
        total_items += n
        total_bytes += len(data)
    counts = {}
    for f in files:
        key = f["format"] + ("/gbk" if f["encoding"] == "gbk" else "")
        counts[key] = counts.get(key, 0) + 1
    manifest = {"generator": "bench/gen_corpus.py",
                "generator_version": GENERATOR_VERSION, "seed": a.seed,
                "feeds": a.feeds, "items": total_items, "bytes": total_bytes,
                "gbk_share": a.gbk_share, "format_weights": a.formats,
                "formats": counts, "files": files}
    with open(os.path.join(a.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print("corpus: %s: %d feeds, %d items, %.1f MB, %s" % (
        a.outdir, a.feeds, total_items, total_bytes / 1e6,
        ", ".join("%s=%d" % kv for kv in sorted(counts.items()))),
        file=sys.stderr)


if __name__ == "__main__":
    main()
