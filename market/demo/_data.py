"""The demo district's fixed facts: invented people and organisations in a real district's shape (李沧区)."""

from __future__ import annotations

STREETS: dict[str, list[str]] = {
    "虎山路街道": ["虎山路社区", "书院路社区", "东山社区"],
    "九水街道": ["九水路社区", "李村河社区", "苍台社区"],
    "沧口街道": ["沧口社区", "永年路社区", "四流中路社区"],
    "李村街道": ["杭州路社区", "京口路社区"],
    "兴华路街道": ["兴华路社区", "西流庄社区"],
}

# (name, alliance code, categories, body of the credit code without its check character)
ORGANIZATIONS: list[tuple[str, str, list[str], str]] = [
    ("李沧区立德社会工作服务中心", "new-orgs", ["mental_health", "other"], "52370213MJD000101"),
    ("青岛乐为社会工作服务中心", "new-orgs", ["culture", "elderly_care"], "52370213MJD000102"),
    ("李沧区快乐沙爱心帮扶中心", "new-orgs", ["culture", "children"], "52370213MJD000103"),
    ("李沧区颐养居家养老服务中心", "new-orgs", ["elderly_care"], "52370213MJD000104"),
    ("李沧区心晴心理咨询服务中心", "new-orgs", ["mental_health"], "52370213MJD000105"),
    ("李沧区童心成长服务中心", "new-orgs", ["children"], "52370213MJD000106"),
    ("李沧区绿邻环保公益服务中心", "new-orgs", ["environment"], "52370213MJD000107"),
    ("李沧区青年志愿者协会", "volunteers", ["elderly_care", "environment"], "51370213MJD000108"),
    ("李沧区邻里守望志愿服务队", "volunteers", ["elderly_care", "other"], "52370213MJD000109"),
    ("李沧区银龄志愿服务中心", "volunteers", ["elderly_care", "culture"], "52370213MJD000110"),
    ("李沧区红领巾助学服务社", "volunteers", ["children"], "52370213MJD000111"),
    ("李沧区12349法律服务中心", "legal", ["legal_aid", "culture"], "52370213MJD000112"),
    ("李沧区和合人民调解服务中心", "legal", ["legal_aid"], "52370213MJD000113"),
    ("李沧区律缘法律援助服务社", "legal", ["legal_aid", "finance_education"], "52370213MJD000114"),
    ("李沧区金盾普法宣传中心", "legal", ["legal_aid", "finance_education"], "52370213MJD000115"),
    ("李沧区融媒公益宣传服务中心", "media", ["other", "culture"], "52370213MJD000116"),
    ("李沧区社区影像记录工作室", "media", ["culture"], "52370213MJD000117"),
    ("李沧区金融知识宣讲服务社", "media", ["finance_education"], "52370213MJD000118"),
]

# (title, category, posting unit, budget in yuan, alliances, communities (by name), joint allowed)
TASKS: list[tuple[str, str, str, int, list[str], list[str], bool]] = [
    (
        "独居老人助餐送餐服务",
        "elderly_care",
        "虎山路街道",
        80000,
        ["new-orgs", "volunteers"],
        ["虎山路社区", "东山社区"],
        True,
    ),
    ("社区心理疏导驿站", "mental_health", "九水街道", 60000, ["new-orgs"], ["九水路社区"], False),
    ("楼道公共空间矛盾调解", "legal_aid", "虎山路街道", 30000, ["legal"], ["书院路社区"], False),
    (
        "金融夜校·防范电信网络诈骗",
        "finance_education",
        "沧口街道",
        40000,
        ["legal", "media"],
        ["沧口社区", "永年路社区"],
        True,
    ),
    ("李村河党建主题公园运营", "culture", "九水街道", 120000, ["legal", "new-orgs"], ["李村河社区"], True),
    ("党群服务中心老中青文化活动", "culture", "虎山路街道", 50000, ["new-orgs", "volunteers"], ["虎山路社区"], False),
    ("四点半课堂", "children", "李村街道", 45000, ["new-orgs", "volunteers"], ["杭州路社区"], True),
    ("垃圾分类入户督导", "environment", "兴华路街道", 35000, ["new-orgs", "volunteers"], ["兴华路社区"], False),
    ("老年人智能手机培训", "elderly_care", "李村街道", 25000, ["volunteers"], ["京口路社区"], False),
    ("青少年心理健康讲座", "mental_health", "沧口街道", 30000, ["new-orgs"], ["四流中路社区"], False),
    ("居民法律咨询日", "legal_aid", "九水街道", 20000, ["legal"], ["苍台社区"], False),
    ("金融夜校·养老理财防骗", "finance_education", "虎山路街道", 30000, ["legal", "media"], ["东山社区"], True),
    ("悦读书房", "culture", "沧口街道", 40000, ["new-orgs"], ["沧口社区"], False),
    ("困境儿童关爱行动", "children", "兴华路街道", 55000, ["new-orgs", "volunteers"], ["西流庄社区"], True),
    (
        "失能老人居家探访",
        "elderly_care",
        "九水街道",
        70000,
        ["new-orgs", "volunteers"],
        ["九水路社区", "苍台社区"],
        True,
    ),
    ("家庭教育指导服务", "children", "李村街道", 30000, ["new-orgs"], ["杭州路社区"], False),
    ("金融夜校·小微创业与融资", "finance_education", "兴华路街道", 35000, ["legal", "media"], ["兴华路社区"], False),
    ("社区协商议事能力培训", "other", "虎山路街道", 25000, ["new-orgs", "legal"], ["书院路社区"], False),
    ("邻里节", "culture", "李村街道", 30000, ["volunteers", "media"], ["京口路社区"], True),
    ("河道环境守护", "environment", "九水街道", 40000, ["new-orgs", "volunteers"], ["李村河社区"], False),
    ("婚姻家庭纠纷调解", "legal_aid", "沧口街道", 30000, ["legal"], ["永年路社区"], False),
    ("社区融媒宣传矩阵", "other", "兴华路街道", 30000, ["media"], ["西流庄社区"], False),
]

# Drafts that never reach the board: one still being written, one the committee dropped.
DRAFT_TASK = ("社区记忆学堂", "culture", "沧口街道", 20000, ["new-orgs"], ["沧口社区"], False)
DROPPED_TASK = ("旧物改造工作坊", "environment", "李村街道", 15000, ["new-orgs"], ["杭州路社区"], False)

EVALUATORS: list[tuple[str, str, str | None]] = [
    ("eval-wang", "王建华(区民政局)", None),
    ("eval-li", "李秀梅(街道党工委)", None),
    ("eval-zhang", "张立新(高校社工系)", None),
    ("eval-liu", "刘芳(律师)", None),
    # Works for an organisation, so the recusal rule has someone to bite.
    ("eval-chen", "陈晓东(立德社工)", "李沧区立德社会工作服务中心"),
]

PROGRESS_NOTES = [
    "完成需求调研与入户走访,建立服务对象台账。",
    "组建服务团队,开展首轮集中服务活动,居民反响良好。",
    "按计划推进中期服务,整理活动影像与签到记录。",
    "完成全部服务内容,形成结项报告与居民满意度调查。",
]

# The park's resource list: 16 services in 5 categories (能力培训、信息共享、场地支持、创业扶持、党建指导).
# (title, category, target groups, monthly capacity)
PARK_SERVICES: list[tuple[str, str, list[str], int]] = [
    ("社会组织负责人能力提升班", "capacity_training", ["社会组织负责人"], 2),
    ("项目设计与申报辅导", "capacity_training", ["社会组织"], 4),
    ("财务规范化管理培训", "capacity_training", ["社会组织财务人员"], 2),
    ("社工实务督导", "capacity_training", ["一线社工"], 6),
    ("政策法规信息推送", "information_sharing", ["社会组织", "社区"], 20),
    ("公益项目供需对接", "information_sharing", ["社会组织", "社区"], 10),
    ("社区需求调研数据共享", "information_sharing", ["社区"], 8),
    ("多功能会议室", "venue", ["社会组织", "社区"], 30),
    ("路演与展示厅", "venue", ["社会组织"], 8),
    ("共享办公工位", "venue", ["初创社会组织"], 12),
    ("登记注册代办指导", "startup_support", ["初创社会组织"], 6),
    ("孵化期场租减免", "startup_support", ["初创社会组织"], 4),
    ("公益创投对接", "startup_support", ["社会组织"], 3),
    ("党组织组建指导", "party_building", ["社会组织"], 4),
    ("联合主题党日活动策划", "party_building", ["社会组织党支部"], 4),
    ("党员教育培训", "party_building", ["社会组织党员"], 6),
]

# Organisations' own offerings in the resource list: (organisation, title, category, target groups, capacity)
ORG_OFFERINGS: list[tuple[str, str, str, list[str], int]] = [
    ("李沧区心晴心理咨询服务中心", "社区心理健康讲座", "mental_health", ["居民", "青少年"], 4),
    ("李沧区12349法律服务中心", "法律明白人培训", "legal_aid", ["居民", "网格员"], 3),
    ("李沧区颐养居家养老服务中心", "助老上门服务", "elderly_care", ["独居老人"], 10),
    ("李沧区金融知识宣讲服务社", "防诈骗金融知识课", "finance_education", ["居民", "老年人"], 6),
    ("李沧区绿邻环保公益服务中心", "垃圾分类宣讲", "environment", ["居民"], 5),
    ("李沧区社区影像记录工作室", "社区活动影像记录", "culture", ["社区"], 4),
]

# Needs raised by secretaries (community name, title, category) and organisations (org name, title, category).
COMMUNITY_NEEDS: list[tuple[str, str, str]] = [
    ("虎山路社区", "独居老人缺少助餐服务", "elderly_care"),
    ("九水路社区", "青少年心理压力大,需要疏导", "mental_health"),
    ("书院路社区", "楼道堆物纠纷频发", "legal_aid"),
    ("沧口社区", "老年人屡遭电信诈骗", "finance_education"),
    ("杭州路社区", "双职工家庭孩子放学无人看护", "children"),
    ("兴华路社区", "垃圾分类参与率低", "environment"),
    ("京口路社区", "老年人不会用智能手机", "elderly_care"),
    ("永年路社区", "家庭矛盾调解需求多", "legal_aid"),
    ("西流庄社区", "社区活动缺少宣传", "other"),
    ("东山社区", "居民希望了解养老理财防骗知识", "finance_education"),
]
ORG_NEEDS: list[tuple[str, str, str]] = [
    ("李沧区童心成长服务中心", "需要财务规范化培训", "other"),
    ("李沧区社区影像记录工作室", "需要路演展示场地", "culture"),
]
