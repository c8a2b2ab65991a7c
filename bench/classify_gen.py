#!/usr/bin/python3
"""classify_gen.py: a deterministic corpus of Chinese news texts for the
classifier benchmark, one text per line (headline, a space, a sentence or
two), 50-300 characters each.

    classify_gen.py [--texts 20000] [--seed 20261127] [--trad 0.06]
                    [--emergency 0.05] [--ordinary 0.10] OUT.txt

The mix (by how a line is generated, not by what the classifier says;
classify_bench.sh reports what each side actually finds):

  emergency  ~5 %   incident reports: mine gas/flooding/roof falls, fires,
                    explosions, collapses, road and water accidents,
                    drowning, poisoning, floods and storms, epidemics,
                    mass incidents, violent crime (with casualty figures
                    in Arabic or Chinese numerals, often none)
  ordinary  ~10 %   citizens' concerns: wage arrears, utilities cut,
                    property management, expropriation, school fees,
                    pollution and noise, food safety, medical disputes,
                    traffic, subsidies ...
  other     ~85 %   unrelated news: meetings, economy, agriculture,
                    culture and tourism, sport, education, health
                    promotion, weather, construction, national and
                    foreign news; about one in eight of them is a "near
                    miss" (drills, prevention campaigns, anniversaries,
                    films, rumour rebuttals, statistics round-ups, 透水砖,
                    大火收汁) of the kind the exclusions are for

Places are the district's (大通区, 九龙岗镇, 洛河镇 ...), elsewhere in 淮南,
the namesakes (西宁市大通县, 天长市大通镇 ...) and other cities. A share
of lines (--trad, default 6 %) is converted to traditional characters
with OpenCC s2t (libopencc through ctypes: the same library the product
links). The same seed and OpenCC data give a byte-identical file; the
generator prints the sha256 and the counts per kind on stderr, and
writes OUT.txt.kinds (one kind per line) beside the corpus.
"""
import argparse
import ctypes
import ctypes.util
import hashlib
import random
import sys

# ---------------------------------------------------------------------------
# places
DISTRICT = ["淮南市大通区", "大通区", "大通区九龙岗镇", "九龙岗镇", "大通区洛河镇",
            "淮南洛河镇", "大通区上窑镇", "上窑镇", "大通区孔店乡", "孔店乡",
            "大通街道", "淮南大通区", "淮南经开区", "淮南经济技术开发区",
            "大通区居仁村", "大通区大通街道居南社区"]
HUAINAN = ["淮南市田家庵区", "田家庵区", "谢家集区", "八公山区", "潘集区", "凤台县",
           "寿县", "毛集实验区", "淮南市", "淮南", "淮南高新区", "淮南山南新区"]
NAMESAKE = ["西宁市大通县", "青海大通县", "天长市大通镇", "铜陵市大通镇", "大通古镇",
            "益阳大通湖区", "陕西平利县洛河镇"]
ELSEWHERE = ["合肥市", "合肥市蜀山区", "蚌埠市", "阜阳市", "六安市", "芜湖市", "安庆市",
             "滁州市", "马鞍山市", "宿州市", "亳州市", "南京市", "上海市浦东新区",
             "杭州市", "武汉市", "郑州市", "徐州市", "济南市", "成都市", "长沙市",
             "西安市", "广州市", "深圳市", "重庆市", "北京市朝阳区", "天津市",
             "沈阳市", "南昌市", "太原市", "石家庄市"]
ROADS = ["洞山东路", "国庆路", "淮舜大道", "大通路", "舜耕大道", "朝阳路", "龙湖路",
         "学院南路", "民生路", "港口路", "206国道", "合淮阜高速", "淮河大道"]
UNITS = ["区应急管理局", "区住建局", "区教体局", "区卫健委", "区市场监管局",
         "区人社局", "区民政局", "区农业农村水利局", "区文旅局", "区城管局",
         "区发改委", "区财政局", "区生态环境分局", "区统计局", "区委宣传部",
         "区融媒体中心", "区总工会", "团区委", "区妇联", "区科技局"]
COMPANY = ["淮河能源控股集团", "淮南矿业集团", "某新材料公司", "某科技有限公司",
           "某建筑工程公司", "某物流公司", "某食品公司", "某化工企业", "某机械厂",
           "某光伏企业", "某汽车零部件企业", "某服装厂", "某电子公司"]
MINES = ["某煤矿", "一煤矿", "某矿井", "九龙岗矿", "某矿", "新庄孜矿", "一处矿井"]
PEOPLE = ["一名男子", "一名女子", "一名老人", "一名外卖骑手", "一名司机", "一名环卫工人",
          "一名学生", "一名村民", "一名工人", "一名快递员"]

CN_NUM = ["一", "两", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二",
          "十五", "二十", "二十余", "三十多", "数十"]


def num(r, lo=1, hi=12):
    """A count as news writes it: mostly Arabic, sometimes Chinese."""
    if r.random() < 0.3:
        return r.choice(CN_NUM[:min(len(CN_NUM), hi)])
    return str(r.randint(lo, hi))


def date(r):
    return "%d月%d日" % (r.randint(1, 12), r.randint(1, 28))


def hhmm(r):
    return "%d时%02d分" % (r.randint(0, 23), r.randint(0, 59))


# ---------------------------------------------------------------------------
# emergency incidents: (title, [body sentences]); {P} place, {N}/{M}
# counts, {D} date, {T} time, {R} road, {MINE}, {CO} company, {WHO}
EMERGENCY = [
    ("{P}{MINE}发生瓦斯爆炸 已致{N}人遇难{M}人被困",
     ["{D}{T}许，{P}{MINE}井下发生瓦斯爆炸事故，救援工作正在紧张进行。",
      "省市区三级救援力量已赶赴现场，事故原因正在调查中。"]),
    ("{P}{MINE}发生透水事故 {N}名矿工被困井下",
     ["据现场指挥部消息，透水发生在井下采区，被困矿工位置已初步确定。",
      "救援人员正全力排水，{CO}主要负责人已赶到现场。"]),
    ("{P}{MINE}发生冒顶事故致{N}死{M}伤",
     ["伤者已送医救治，当地已成立事故调查组。", "事故发生后，相关部门立即启动应急响应。"]),
    ("{P}一民房起火 消防员救出{N}名被困群众",
     ["{D}凌晨，{P}一处民房突发火灾，火势迅速蔓延。", "消防救援人员到场后迅速扑灭明火，起火原因正在调查中。"]),
    ("{P}一厂房发生火灾 现场浓烟滚滚",
     ["{D}下午，{P}{CO}厂房起火，消防部门调派{N}辆消防车赶赴现场处置。",
      "目前火势已得到控制，暂无人员伤亡报告。"]),
    ("{P}一餐馆发生燃气爆炸 致{N}人受伤",
     ["爆炸造成周边多家商铺玻璃破碎，伤者已被送往医院救治。", "燃气公司已关闭该区域阀门，事故原因正在调查。"]),
    ("{P}一自建房倒塌 {N}人被困",
     ["{D}上午，{P}一处三层自建房突然倒塌，消防救援人员正在全力搜救。", "周边群众已紧急疏散。"]),
    ("{R}{P}段发生多车相撞 致{N}死{M}伤",
     ["{D}{T}，一辆货车与多辆轿车在{R}相撞，伤者已被送往医院。", "交警部门已对事故路段实施交通管制。"]),
    ("{P}一校车侧翻 车上{N}名学生受伤",
     ["受伤学生已送医治疗，暂无生命危险。", "{P}教体部门已派员赶赴医院看望受伤学生。"]),
    ("{P}{WHO}在河边钓鱼时不慎落水身亡",
     ["{D}傍晚，{WHO}在{P}一处水塘边钓鱼时落水，经打捞已无生命体征。", "警方提醒市民远离危险水域。"]),
    ("{P}一家三口疑似一氧化碳中毒 经抢救脱离危险",
     ["{D}清晨，邻居发现异常后报警，民警破门将三人送往医院。", "医生表示三人均为一氧化碳中毒，经抢救已脱离危险。"]),
    ("{P}某中学食堂疑似食物中毒 {N}余名学生送医",
     ["{D}午餐后，该校多名学生陆续出现呕吐腹泻症状。", "市场监管部门已对食堂留样进行检测，疾控部门已介入调查。"]),
    ("{P}某小学发生诺如病毒聚集性疫情",
     ["截至{D}，该校已有{N}名学生出现呕吐腹泻症状，疾控部门已开展流行病学调查。"]),
    ("{P}一化工企业氯气泄漏 周边群众紧急疏散",
     ["{D}{T}许，{P}{CO}储罐发生泄漏，现场有刺鼻气味。", "应急、环保部门已赶赴现场处置，{N}名工人出现不适已送医。"]),
    ("{P}突降暴雨 多条道路出现严重内涝",
     ["{D}以来，{P}遭遇强降雨，部分小区地下车库被淹，车辆泡水熄火。", "防汛部门已紧急转移群众{H}余人。"]),
    ("淮河发生今年第{N}号洪水 {P}段水位持续上涨",
     ["{P}已启动防汛Ⅳ级应急响应，沿淮堤防实行二十四小时巡查。"]),
    ("{P}遭遇强对流天气 多处树木被刮倒",
     ["{D}傍晚，{P}出现短时大风和冰雹，多处大棚受损。", "电力部门正在抢修受损线路。"]),
    ("{P}发生{M}.{M2}级地震 震感明显",
     ["据中国地震台网正式测定，{D}{T}{P}发生地震，震源深度10公里。", "目前暂无人员伤亡和财产损失报告。"]),
    ("{P}一男子持刀伤人致{N}死{M}伤 嫌疑人已被控制",
     ["{D}下午，{P}一菜市场附近发生一起持刀伤人案件。", "警方接警后迅速到场，犯罪嫌疑人已被控制，案件正在进一步调查中。"]),
    ("{P}数十名农民工聚集讨薪 堵住项目部大门",
     ["工人们称工资已被拖欠{N}个月，多次讨要无果。", "{P}人社部门已介入协调。"]),
    ("{P}某在建工地脚手架坍塌 {N}名工人受伤",
     ["{D}上午，{P}某在建工地脚手架突然坍塌，{N}名正在作业的工人被埋。", "受伤工人已被送往医院救治。"]),
    ("{P}一工地工人从高处坠落身亡",
     ["{D}，{P}某建筑工地一名工人在外墙作业时坠落，经抢救无效死亡。", "住建部门已责令该工地停工整改。"]),
    ("{P}窑河大量死鱼漂浮 村民怀疑上游企业排污",
     ["{D}起，{P}附近河段出现大面积死鱼，河水发黑并伴有异味。", "生态环境部门已取样检测。"]),
    ("{P}一养殖场发生非洲猪瘟疫情 已扑杀生猪{H}余头",
     ["农业农村部门已划定疫点和疫区，对疫区实施封锁。"]),
    ("{P}某小区电梯突然下坠 {N}名居民受伤",
     ["{D}晚，{P}某小区一部电梯从{NN}楼下坠，市场监管部门已介入调查。"]),
    ("{P}一危化品运输车侧翻 液氨泄漏",
     ["{D}{T}，一辆危化品运输车在{R}侧翻，造成液氨泄漏。", "周边{H}余名群众已紧急疏散，暂无人员伤亡。"]),
    ("{P}一路面突然塌陷 一辆轿车掉入坑中",
     ["塌陷坑直径约{N}米，驾驶员已自行脱困。", "相关部门已对周边道路进行封闭排查。"]),
    ("{P}一出租屋内发现{N}人死亡 警方正在调查",
     ["{D}，房东发现异常后报警。", "目前现场已被警方封锁，死亡原因正在进一步调查中。"]),
    ("{P}一采砂船翻沉 {N}人失联",
     ["{D}，一艘采砂船在淮河{P}段翻沉，船上{N}人落水失联。", "海事、消防等部门正在全力搜救。"]),
    ("{P}某商场促销活动发生踩踏 多人受伤",
     ["受伤群众已被送往医院，商场已暂停营业。"]),
    ("{P}多名村民出现不明原因发热 已送医院隔离治疗",
     ["卫健部门已组织专家赶赴现场开展流行病学调查。"]),
    ("{P}某P2P平台爆雷 投资人聚集讨说法",
     ["数百名投资人聚集在平台办公地点，要求兑付本金。", "公安机关已对该平台立案侦查。"]),
]

# ordinary concerns
ORDINARY = [
    ("{P}某建筑工地拖欠农民工工资{N}个月 工人多次讨要无果",
     ["工人们反映，项目完工后老板一直以资金紧张为由拒绝支付工资。", "记者已将情况反映至{P}人社部门。"]),
    ("{P}某小区连续停水{N}天 居民生活受影响",
     ["居民反映，自{D}起小区停水，物业未提前通知。", "供水公司回应称正在抢修管网。"]),
    ("{P}某小区物业乱收费 业主投诉无门",
     ["业主反映，物业公司擅自上调物业费并收取停车管理费。", "{P}住建部门表示将核实处理。"]),
    ("{P}棚户区改造拆迁补偿标准引质疑",
     ["部分居民认为补偿标准偏低，与周边房价差距较大。", "征收部门表示补偿标准依法依规制定。"]),
    ("{P}某小学强制学生购买教辅资料 家长质疑乱收费",
     ["有家长反映，班主任要求每名学生缴纳{NN}元资料费。", "{P}教体局已介入调查。"]),
    ("{P}某工地扬尘污染严重 周边居民苦不堪言",
     ["居民反映，工地未采取覆盖洒水措施，大风天气尘土飞扬。"]),
    ("{P}工业园区夜间异味刺鼻 居民投诉",
     ["附近居民称，每到夜间就能闻到刺鼻的化学气味。", "生态环境部门已安排人员夜间巡查。"]),
    ("网友投诉：{P}某超市出售过期面包",
     ["网友称在超市购买的面包已过期{N}天。", "市场监管部门已介入。"]),
    ("{P}一产妇在医院分娩后死亡 家属质疑医院延误救治",
     ["家属认为院方存在过错，要求给出说法。", "{P}卫健委已成立调查组。"]),
    ("{P}某卫生院医生态度冷漠 患者投诉",
     ["患者反映，就诊时医生态度生硬，推诿病人。"]),
    ("{P}种粮补贴迟迟未到账 农户反映",
     ["多名农户反映，去年的耕地地力保护补贴至今未发放到位。"]),
    ("{P}居民小区暖气不热 供暖公司回应",
     ["居民反映室内温度不足十五度。", "供暖公司称将逐户排查。"]),
    ("{P}某河道成黑臭水体 居民盼治理",
     ["夏季河道散发恶臭，蚊虫滋生。", "居民希望有关部门尽快治理。"]),
    ("{P}夜间施工噪音扰民 居民难以入睡",
     ["居民反映，某工地每天施工到凌晨，严重影响休息。"]),
    ("{P}某小区电梯频繁故障 业主多次反映物业不管",
     ["业主称电梯一个月内故障{N}次，有老人被困。"]),
    ("{P}退休职工养老金迟迟未发 咨询多次无果",
     ["多名退休职工反映，本月养老金至今未到账。"]),
    ("{P}某药店无处方销售处方药",
     ["记者暗访发现，该药店未查验处方即出售抗生素。"]),
    ("{P}某重点项目停工两年成烂尾工程",
     ["项目工地杂草丛生，周边居民希望尽快复工。"]),
    ("{P}老旧小区改造进度慢 楼顶漏水无人管",
     ["居民反映，改造工程开工半年仍未完成，雨天家中漏水。"]),
    ("早晚高峰{R}拥堵严重 市民呼吁拓宽道路",
     ["每天上下班时段，{R}车辆排起长龙。"]),
    ("{P}某村垃圾堆积成山无人清理",
     ["村民反映，村口垃圾已堆放{N}个多月，臭气熏天。"]),
    ("{P}低保申请被拒 村民质疑优亲厚友",
     ["村民称家庭困难多次申请低保未果，而村干部亲属却享受低保。"]),
    ("{P}某企业资金链断裂 拖欠供应商货款",
     ["多家供应商反映，货款已拖欠近一年。"]),
    ("{P}采煤沉陷区居民房屋开裂 盼早日搬迁安置",
     ["居民称房屋墙体出现多处裂缝，雨季渗水严重。"]),
    ("{P}某学校学生食堂饭菜变质 家长集体反映",
     ["家长反映，孩子在食堂吃出异物，饭菜有异味。"]),
    ("{P}某公司未给员工缴纳社保 员工申请劳动仲裁",
     ["员工称入职{N}年公司从未缴纳社会保险。"]),
    ("{P}洛河电厂周边粉煤灰漫天飞 居民反映",
     ["居民称家中窗台每天落满一层黑灰。"]),
    ("{P}有人非法开采煤炭 村民举报无人管",
     ["村民反映，有人夜间私挖滥采，破坏耕地。"]),
]

# unrelated news: titles and bodies by topic
OTHER_TITLES = [
    "{P}召开{Y}年经济工作会议", "{P}举行重点项目集中开工仪式 总投资{N}亿元",
    "{P}{U}开展“我为群众办实事”实践活动", "{P}召开党委理论学习中心组学习会",
    "{P}举办{Y}年春风行动招聘会 提供就业岗位{K}个", "{P}农村人居环境整治成效明显",
    "{P}{CO}新产品下线 年产值预计{N}亿元", "{P}{Y}年前三季度经济运行稳中向好",
    "{P}小麦开镰收割 预计亩产{H}余公斤", "{P}草莓采摘季开启 游客络绎不绝",
    "{P}举办第{N}届乡村文化旅游节", "{P}九龙岗民国建筑群迎来八方游客",
    "{P}全民健身运动会开幕", "淮南队{M}:{M2}取得省运会足球小组赛首胜",
    "{P}中小学开学第一课 聚焦爱国主义教育", "{P}举行高考考点标准化建设验收",
    "{P}开展义诊进乡村活动 惠及群众{H}余人", "{P}家庭医生签约服务覆盖率稳步提升",
    "明天{P}多云转晴 最高气温{NN}℃", "{P}气象台发布今冬首场降雪预报",
    "{R}改造工程顺利完工 通车在即", "{P}新建{N}座公共充电站 方便市民出行",
    "{P}{CO}获评省级专精特新企业", "{P}举办科技成果对接会 签约项目{N}个",
    "{P}新时代文明实践站开展志愿服务", "{P}退役军人服务站为老兵送温暖",
    "{P}举办老年大学书画作品展", "{P}农业产业园引进数字化种植技术",
    "{P}生态修复项目让采煤沉陷区变湿地公园", "{P}淮河岸线绿化工程稳步推进",
    "国务院常务会议部署稳就业稳外贸工作", "国家统计局发布{Y}年{M}月份国民经济运行情况",
    "{P}举办中国农民丰收节庆祝活动", "{P}数字政务服务实现“一网通办”",
    "欧洲央行宣布维持利率不变", "{P}新能源汽车产业链加速集聚",
    "{P}牛肉汤节本周末开幕 特色小吃集中亮相", "{P}举行青年创新创业大赛决赛",
    "{P}图书馆推出夜间阅读服务", "{P}城市马拉松鸣枪开跑 {K}名选手参赛",
    "{P}开展民族团结进步宣传活动", "{P}社区养老服务中心正式投用",
    "{P}召开人大代表座谈会", "{P}政协委员视察乡村振兴工作",
    "{P}举办消费季活动 发放消费券{H}万元", "{P}光伏发电项目并网发电",
    "{P}高标准农田建设项目通过验收", "{P}入选全国文明城市提名",
    "{P}开展垃圾分类进社区宣传", "{P}全面推行河长制 水质持续改善",
]
OTHER_BODY = [
    "会议强调，要坚持稳中求进工作总基调，统筹发展和安全，推动经济社会高质量发展。",
    "据了解，该项目建成后将新增就业岗位{H}余个，带动周边产业链协同发展。",
    "记者从{U}获悉，今年以来全区各项重点工作有序推进，主要指标好于预期。",
    "活动现场气氛热烈，参与群众纷纷表示受益匪浅。",
    "下一步，{P}将继续深化改革，持续优化营商环境，不断增强群众获得感。",
    "据介绍，本次活动吸引了{K}余名市民参与，进一步丰富了群众文化生活。",
    "{D}，{U}负责人带队深入基层一线，实地了解工作推进情况。",
    "近年来，{P}坚持生态优先、绿色发展，累计完成造林绿化{K}余亩。",
    "该企业负责人介绍，今年订单饱满，生产线满负荷运转。",
    "与会人员围绕主题进行了深入交流，提出了许多有价值的意见建议。",
    "目前，项目主体工程已完成{M}成，预计年底前全面竣工。",
    "比赛吸引了来自全市的{NN}支队伍参加，展现了积极向上的精神风貌。",
    "据气象部门预报，未来三天以晴到多云天气为主，早晚温差较大。",
    "该校负责人表示，将进一步提升教育教学质量，办好人民满意的教育。",
    "据统计，全区已建成各类便民服务站点{NN}个，实现城乡全覆盖。",
    "专家表示，这一举措将有效激发市场活力，提振消费信心。",
    "活动期间，志愿者还为老人们测量血压、讲解健康知识。",
    "现场，工作人员详细介绍了相关政策，耐心解答群众疑问。",
    "多位市民表示，这些变化看得见、摸得着，生活越来越方便了。",
    "据悉，该展览将持续至{D}，市民可免费参观。",
    "今年，{P}计划实施民生实事项目{NN}项，目前已完成年度投资的{M}成。",
    "截至目前，全区累计为企业减税降费{N}亿元，惠及市场主体{K}余户。",
    "在乡村振兴示范村，一排排新建的民居整齐划一，村道干净整洁。",
    "当天上午，展馆内人头攒动，不少家长带着孩子前来参观学习。",
    "该公司负责人说，企业正加快推进智能化改造，力争明年产能翻番。",
    "主办方介绍，本届活动共设置{NN}个展位，涵盖农产品、文创产品等多个门类。",
    "据测算，项目投产后年可实现销售收入{N}亿元，税收{K}万元。",
    "参赛选手们奋力拼搏，赛出了风格，赛出了水平。",
    "为确保工作落到实处，{U}成立了专项工作组，实行挂图作战。",
    "连日来，{P}各地抢抓农时，广袤田野里处处是农民忙碌的身影。",
    "市民王女士说：“现在家门口就能办事，真是太方便了。”",
    "据介绍，该平台上线以来已累计办理各类事项{K}余件，群众满意率达到百分之九十八。",
    "课堂上，老师们采用情景教学、小组合作等方式，激发学生学习兴趣。",
    "此外，{P}还将在重点路段增设公交站点和非机动车停车区域。",
    "据了解，该批新能源公交车续航里程可达三百公里，将陆续投入运营。",
    "业内人士分析认为，随着政策效应持续释放，市场需求将稳步回升。",
    "夜幕降临，{P}的夜市灯火通明，烟火气十足。",
    "展览以图片、实物和多媒体相结合的方式，生动展现了城市发展历程。",
    "下一步，相关部门将加强督促指导，确保各项任务按期完成。",
]
# near misses: unrelated, but with words the rules and exclusions care about
NEAR_MISS = [
    ("{P}举行{Y}年危化品泄漏事故应急演练",
     ["演练模拟某化工企业储罐发生泄漏，{N}家单位参加。", "通过演练，进一步提升了应急处置能力。"]),
    ("{P}召开煤矿安全生产隐患排查整治部署会",
     ["会议要求，各煤矿企业要举一反三，全面排查整治各类安全隐患。"]),
    ("{P}安全生产月活动启动 开展消防、燃气爆炸事故科普",
     ["活动现场设置了咨询台和展板，向群众发放宣传资料{K}余份。"]),
    ("网传“{P}煤矿透水”信息不实",
     ["{P}应急管理局{D}发布通报称，网传视频系外地旧闻，请广大网民不信谣不传谣。"]),
    ("淮南大通矿难{NN}周年祭：铭记历史",
     ["大通万人坑教育馆举行悼念活动，社会各界人士前来缅怀遇难矿工。"]),
    ("悬疑电视剧《矿井》在九龙岗开机",
     ["据悉，剧组将在九龙岗取景拍摄{N}个月，剧中将还原一场井下爆炸。"]),
    ("全国今年1-10月共发生煤矿事故{N}起 同比下降",
     ["国家矿山安全监察局表示，全国煤矿安全生产形势总体稳定。"]),
    ("透水砖铺装让城市告别积水 {P}海绵城市建设提速",
     ["新建道路全部采用透水铺装，雨水可快速下渗。"]),
    ("厨房大火收汁，这道红烧肉太香了",
     ["先将五花肉焯水，再加入冰糖炒出糖色，最后大火收汁即可出锅。"]),
    ("冬季取暖谨防一氧化碳中毒",
     ["专家提醒，使用煤炉取暖时要保持室内通风，安装烟囱和风斗。"]),
    ("{P}开展冬季火灾隐患排查整治专项行动",
     ["行动将持续至明年春节，重点检查人员密集场所和高层建筑。"]),
    ("淮南市气象台发布暴雨蓝色预警 提醒市民注意防范",
     ["预计未来{N}小时内部分地区将出现暴雨，请注意防范。"]),
    ("摩根大通上调中国经济增长预期", ["报告认为，消费和投资将继续推动经济回升。"]),
    ("天长市大通镇举办龙虾节", ["活动吸引了周边游客{N}万余人次。"]),
    ("警惕“塌方式腐败” 以案为鉴筑牢防线", ["会议通报了近期查处的典型案例。"]),
    ("{P}淮南“8·19”事故调查报告公布 {N}人被追责", ["调查报告认定这是一起责任事故。"]),
]


# follow-up sentences of incident reports and of complaints
EVENT_BODY = [
    "目前，现场秩序平稳，善后处置工作正在有序进行。",
    "{P}主要负责同志第一时间赶赴现场，指挥救援处置工作。",
    "据目击者介绍，事发时现场传出一声巨响，随后冒出大量浓烟。",
    "有关部门已成立联合工作组，全力做好伤员救治和家属安抚工作。",
    "具体原因正在进一步调查中，本台将持续关注。",
    "记者赶到现场时看到，警戒线已经拉起，多辆救护车停在路边。",
    "{U}要求，各地各部门要全力以赴做好应急处置，确保群众生命财产安全。",
    "据了解，当地已启动应急响应，相关情况将及时向社会公布。",
    "网友发布的视频显示，现场一片狼藉，周边群众正在有序撤离。",
    "截至记者发稿时，现场处置工作仍在进行中。",
]
CONCERN_BODY = [
    "记者多次拨打相关负责人电话，截至发稿时未获回应。",
    "不少网友在留言中表示有类似遭遇，希望有关部门尽快解决。",
    "{U}工作人员表示，已收到群众反映，将尽快核实处理。",
    "居民们表示，问题已持续很长时间，多次反映仍未得到解决。",
    "律师认为，相关方的做法涉嫌违反有关规定，群众可依法维权。",
    "对此，{P}12345热线表示已将诉求转交相关部门办理。",
    "记者将持续关注此事进展。",
    "有市民在政府网站留言板上反映此事，目前已有多条回复。",
]


class OpenCC:
    """s2t through libopencc (ctypes)."""

    def __init__(self):
        name = ctypes.util.find_library('opencc') or 'libopencc.so.1.1'
        lib = ctypes.CDLL(name)
        lib.opencc_open.restype = ctypes.c_void_p
        lib.opencc_open.argtypes = [ctypes.c_char_p]
        lib.opencc_convert_utf8.restype = ctypes.c_void_p
        lib.opencc_convert_utf8.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                            ctypes.c_size_t]
        lib.opencc_convert_utf8_free.argtypes = [ctypes.c_void_p]
        self.lib = lib
        self.h = lib.opencc_open(b"s2t.json")
        if self.h in (None, ctypes.c_void_p(-1).value):
            raise OSError("opencc_open(s2t.json) failed")

    def __call__(self, s):
        b = s.encode('utf-8')
        p = self.lib.opencc_convert_utf8(self.h, b, len(b))
        out = ctypes.string_at(p).decode('utf-8')
        self.lib.opencc_convert_utf8_free(p)
        return out


def fill(r, s, slots):
    for k, v in slots.items():
        s = s.replace('{' + k + '}', v)
    return s


def place(r, kind):
    x = r.random()
    if kind == 'other':
        pools = [(0.30, DISTRICT), (0.55, HUAINAN), (0.60, NAMESAKE),
                 (1.0, ELSEWHERE)]
    else:
        pools = [(0.45, DISTRICT), (0.75, HUAINAN), (0.80, NAMESAKE),
                 (1.0, ELSEWHERE)]
    for cut, pool in pools:
        if x < cut:
            return r.choice(pool)
    return r.choice(ELSEWHERE)


def one(r, kind):
    slots = {
        'P': place(r, kind), 'N': num(r, 2, 12), 'M': str(r.randint(1, 9)),
        'D': date(r), 'T': hhmm(r), 'R': r.choice(ROADS),
        'MINE': r.choice(MINES), 'CO': r.choice(COMPANY),
        'WHO': r.choice(PEOPLE), 'U': r.choice(UNITS),
        'Y': str(r.randint(2022, 2026)), 'M2': str(r.randint(1, 9)),
        'NN': str(r.randint(10, 99)),
        'H': r.choice(['%d' % (r.randint(1, 9) * 100),
                       r.choice(CN_NUM[1:9]) + '百']),
        'K': r.choice(['%d' % (r.randint(1, 9) * 1000),
                       r.choice(CN_NUM[:9]) + '千']),
    }
    if kind == 'emergency':
        title, body = r.choice(EMERGENCY)
        body = list(body)
    elif kind == 'ordinary':
        title, body = r.choice(ORDINARY)
        body = list(body)
    elif kind == 'near':
        title, body = r.choice(NEAR_MISS)
        body = list(body)
    else:
        title = r.choice(OTHER_TITLES)
        body = r.sample(OTHER_BODY, 2)
    # a lead-in and filler as feeds write them, to a target length
    target = r.randint(50, 280)
    if r.random() < 0.3:
        title = r.choice(["【突发】", "【关注】", "【民生】", "【快讯】", "【热点】",
                          "", ""]) + title
    text = fill(r, title, slots) + ' ' + fill(r, ''.join(body), slots)
    pool = {'emergency': EVENT_BODY, 'ordinary': CONCERN_BODY}.get(
        kind, OTHER_BODY)
    filler = [b for b in pool if b not in body]
    r.shuffle(filler)
    while len(text) < target and filler:
        add = fill(r, filler.pop(), slots)
        if len(text) + len(add) > 300:
            break
        text += add
    if len(text) < 50:
        text += fill(r, "记者从{U}获悉，相关工作正在有序推进中。", slots)
    if len(text) > 300:
        text = text[:299] + '。'
    return text


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--texts', type=int, default=20000)
    ap.add_argument('--seed', type=int, default=20261127)
    ap.add_argument('--trad', type=float, default=0.06)
    ap.add_argument('--emergency', type=float, default=0.05)
    ap.add_argument('--ordinary', type=float, default=0.10)
    ap.add_argument('--near', type=float, default=0.12,
                    help='share of the unrelated lines that are near misses')
    ap.add_argument('out')
    a = ap.parse_args()
    r = random.Random(a.seed)
    cc = OpenCC()
    counts = {}
    lines, kinds = [], []
    for _ in range(a.texts):
        x = r.random()
        if x < a.emergency:
            kind = 'emergency'
        elif x < a.emergency + a.ordinary:
            kind = 'ordinary'
        else:
            kind = 'near' if r.random() < a.near else 'other'
        t = one(r, kind)
        if r.random() < a.trad:
            t = cc(t)
            kind += '+trad'
        counts[kind] = counts.get(kind, 0) + 1
        lines.append(t)
        kinds.append(kind)
    data = ('\n'.join(lines) + '\n').encode('utf-8')
    with open(a.out, 'wb') as fh:
        fh.write(data)
    with open(a.out + '.kinds', 'w') as fh:
        fh.write('\n'.join(kinds) + '\n')
    lens = sorted(len(x) for x in lines)
    print('classify_gen: %d texts, %d bytes, chars min/median/max %d/%d/%d, '
          'sha256 %s' % (len(lines), len(data), lens[0],
                         lens[len(lens) // 2], lens[-1],
                         hashlib.sha256(data).hexdigest()[:16]),
          file=sys.stderr)
    print('classify_gen: ' + ', '.join('%s %d' % kv for kv in
                                       sorted(counts.items())),
          file=sys.stderr)


if __name__ == '__main__':
    main()
