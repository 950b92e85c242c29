"""Generate the Excel files of the fictional demo county 河清县 (departments, subjects, inspectors, items, recusals)."""
from __future__ import annotations

import math
import random
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

SEEDS = Path(__file__).resolve().parent
sys.path.insert(0, str(SEEDS.parent))

from coordinator.directories.creditcode import CHARSET, check_character  # noqa: E402

SEED = 20240527
COUNTY = "河清县"
DIVISION = "139901"  # fictional administrative division code of 河清县 (Hebei = 13)
CITY_DIVISION = "139900"  # a few subjects were registered at the (fictional) city level
EXPORT_DATE = "2024-05-20"
# xlsxwriter stamps the creation time into docProps/core.xml; fixing it keeps reruns byte-identical.
FILE_TIMESTAMP = datetime(2024, 5, 20, 9, 0, 0)
SUBJECT_COUNT = 3000
CAMPAIGN_END = "2024-07-31"  # seed 004: the joint campaign runs 2024-05-27 to 2024-07-31

# ---------------------------------------------------------------------------------------------
# The county
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    lead: bool
    number: str  # the department's two digits inside an enforcement certificate number
    size: int  # inspectors in the directory


DEPARTMENTS = (
    Department("yjj", "应急管理局", True, "01", 20),
    Department("scj", "市场监督管理局", False, "02", 20),
    Department("swj", "商务局", False, "03", 14),
    Department("xfj", "消防救援大队", False, "04", 10),
    Department("hbj", "生态环境分局", False, "05", 16),
)


@dataclass(frozen=True)
class Town:
    name: str
    short: str
    weight: float  # share of the county's enterprises
    streets: tuple[str, ...]
    village_share: float  # share of its enterprises with a village address


TOWNS = (
    Town("城关镇", "城关", 0.24, ("人民路", "解放街", "建设路", "新华大街", "胜利街", "文化路", "商城路"), 0.15),
    Town("东湖街道", "东湖", 0.16, ("东湖路", "湖滨大道", "振兴街", "育才路", "光明街", "银河路"), 0.0),
    Town("开发区", "开发区", 0.10, ("工业大道", "创业路", "纬一路", "纬二路", "经三路", "园区路"), 0.0),
    Town("河西镇", "河西", 0.10, ("河西大街", "建设街", "兴业路"), 0.45),
    Town("柳庄镇", "柳庄", 0.10, ("柳庄大街", "富民路", "兴隆街"), 0.45),
    Town("王桥镇", "王桥", 0.10, ("王桥大街", "和平街", "商贸路"), 0.45),
    Town("马集镇", "马集", 0.10, ("马集大街", "集贸街", "振兴路"), 0.45),
    Town("清泉乡", "清泉", 0.10, ("清泉大街", "乡府路"), 0.45),
)
# Industrial enterprises cluster in the development zone.
INDUSTRIAL = {"危险化学品", "工贸", "仓储物流"}
INDUSTRIAL_ZONE_BOOST = 3.0

# Zone groups (片区/检查组, seed 003: one team member comes from the subject's own zone group).
# Each zone is named after its first town and covers two towns; every department spreads its
# inspectors over all four zones so that each town has a local inspector in every department:
#   城关镇片区 = 城关镇、东湖街道   河西镇片区 = 河西镇、清泉乡
#   柳庄镇片区 = 柳庄镇、开发区     王桥镇片区 = 王桥镇、马集镇
ZONES = {
    "城关镇片区": ("城关镇", "东湖街道"),
    "河西镇片区": ("河西镇", "清泉乡"),
    "柳庄镇片区": ("柳庄镇", "开发区"),
    "王桥镇片区": ("王桥镇", "马集镇"),
}

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"
    "薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹常武乔贺"
)
# Roughly Zipf-like: 王/李/张/刘 are far more common than 乔/贺.
SURNAME_WEIGHTS = tuple(1 / (rank + 4) for rank in range(len(SURNAMES)))
GIVEN = {
    "男": ("建志国立永振宏海春德文金保庆学兵俊晓子浩明玉成",
          "国强军伟明华平涛勇杰鹏辉波刚峰亮斌超磊龙宇凯鑫飞东生林成发全山"),
    "女": ("秀丽桂玉淑春海晓雅静佳欣梦雪美慧红婷艳丹",
          "英兰芳娟霞敏静丽燕玲婷娜琳萍红梅莉洁颖倩华"),
}
BRAND_FIRST = "鑫恒宏华金瑞永顺润兴福明德嘉天利众泰昌聚万安佳腾盛新祥宝富广荣通正博康和信益汇隆丰源达远诚"
BRAND_SECOND = "源达远泰盛丰兴隆泽通辉胜禾成民诚和昌福海宇鑫茂发祥瑞业润利康晟旺"
NICK_STYLES = ("老{s}", "{s}记", "{s}姐", "{s}家")
NUMERALS = "一二三四五六"
VILLAGE_SUFFIXES = ("庄", "家庄", "家屯", "营", "集", "寨", "官屯", "家洼")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139",
    "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "180", "181", "182", "183", "185", "186", "187", "188", "189",
)
OTHER_COUNTIES = ("清源县", "南河县", "临泉县", "永宁县")

# ---------------------------------------------------------------------------------------------
# Subjects (检查对象名录库)
# ---------------------------------------------------------------------------------------------

KEY, GENERAL, SMALL = "消防安全重点单位", "一般单位", "九小场所"

# Industry → (share of the county's enterprises in %, 行业主管部门). Housing, leisure, health,
# education and logistics are supervised by bureaus outside this joint campaign.
INDUSTRIES = {
    "危险化学品": (4.5, "应急管理局"),
    "烟花爆竹": (3.0, "应急管理局"),
    "工贸": (14.0, "应急管理局"),
    "成品油": (3.0, "商务局"),
    "餐饮": (22.0, "市场监督管理局"),
    "零售": (28.0, "市场监督管理局"),
    "住宿": (6.0, "文化广电和旅游局"),
    "娱乐": (4.0, "文化广电和旅游局"),
    "医疗": (4.0, "卫生健康局"),
    "教育": (3.5, "教育局"),
    "仓储物流": (8.0, "交通运输局"),
}

# 单位类型 → first two characters of the credit code (registration authority + entity type).
CREDIT_PREFIX = {
    "有限责任公司": "91", "股份有限公司": "91", "个人独资企业": "91",
    "个体工商户": "92", "事业单位": "12", "民办非企业单位": "52",
}

COMPANY_TYPES = {"有限责任公司", "股份有限公司"}
COMPANY = {"有限责任公司": 85, "股份有限公司": 10, "个人独资企业": 5}
SMALL_FIRM = {"有限责任公司": 60, "个人独资企业": 25, "个体工商户": 15}
MIXED = {"个体工商户": 60, "有限责任公司": 30, "个人独资企业": 10}
SHOP = {"个体工商户": 90, "个人独资企业": 10}
STATE_OWNED = {"股份有限公司": 1}
PUBLIC = {"事业单位": 1}
NONPROFIT = {"民办非企业单位": 1}

SINGLE = {"单层": 1}
PLANT = {"单层": 70, "多层": 30}
SHOPFRONT = {"单层": 55, "多层": 45}
MIDRISE = {"多层": 80, "单层": 10, "高层": 10}
TOWER = {"高层": 55, "多层": 45}
MALL = {"多层": 55, "高层": 25, "地下": 20}
NIGHTLIFE = {"多层": 60, "地下": 25, "单层": 15}


@dataclass(frozen=True)
class Kind:
    """One kind of enterprise inside an industry: category, venue, naming, size."""

    industry: str
    category: str
    share: float  # within the industry
    venue: str  # 场所类型
    templates: tuple[str, ...]
    unit_types: dict[str, int]
    area: tuple[int, int]  # 建筑面积 range, drawn log-uniformly
    buildings: dict[str, int]
    crowded: float  # probability of 人员密集场所


# Template fields: {brand} trade name, {town}/{short} township, {place} street or village of the
# address, {nick} shop nickname (老王, 李记), {person} a full name, {n} a Chinese numeral.
KINDS = (
    Kind("危险化学品", KEY, 0.18, "生产车间",
         ("河清县{brand}化工有限公司", "河清县{brand}精细化工有限公司", "河清{brand}新材料科技有限公司"),
         COMPANY, (5000, 40000), PLANT, 0.0),
    Kind("危险化学品", KEY, 0.12, "仓库",
         ("河清县{brand}危险品仓储有限公司", "河清县{brand}气体有限公司"),
         COMPANY, (2000, 15000), SINGLE, 0.0),
    Kind("危险化学品", GENERAL, 0.70, "经营门店",
         ("河清县{brand}化工贸易有限公司", "河清县{brand}化工产品销售有限公司",
          "河清县{town}{brand}油漆涂料经销处", "河清县{brand}工业气体经销部"),
         SMALL_FIRM, (50, 600), SHOPFRONT, 0.0),
    Kind("烟花爆竹", KEY, 0.08, "仓库",
         ("河清县{brand}烟花爆竹批发有限公司",),
         COMPANY, (1500, 6000), SINGLE, 0.0),
    Kind("烟花爆竹", GENERAL, 0.32, "经营门店",
         ("河清县{town}{brand}烟花爆竹经营部",),
         SHOP, (40, 200), SINGLE, 0.0),
    Kind("烟花爆竹", SMALL, 0.60, "小商店",
         ("河清县{town}{brand}烟花爆竹零售点", "河清县{town}{nick}烟花爆竹零售店"),
         SHOP, (15, 80), SINGLE, 0.0),
    Kind("工贸", KEY, 0.06, "生产车间",
         ("河清县{brand}机械制造有限公司", "河清县{brand}纺织有限公司", "河清县{brand}食品有限公司",
          "河清县{brand}钢结构有限公司", "河清县{brand}木业有限公司", "河清县{brand}橡塑制品有限公司"),
         COMPANY, (5000, 50000), PLANT, 0.3),
    Kind("工贸", GENERAL, 0.86, "生产车间",
         ("河清县{brand}五金加工厂", "河清县{brand}机械配件厂", "河清县{brand}家具厂",
          "河清县{brand}塑料制品有限公司", "河清县{brand}包装制品有限公司", "河清县{brand}建材有限公司",
          "河清县{brand}铸造有限公司", "河清县{brand}服装厂", "河清县{brand}粮油加工厂", "河清县{brand}印刷厂"),
         SMALL_FIRM, (300, 6000), PLANT, 0.0),
    Kind("工贸", SMALL, 0.08, "生产车间",
         ("河清县{town}{brand}五金加工部", "河清县{town}{nick}木器加工部", "河清县{town}{brand}门窗加工部"),
         SHOP, (60, 400), SINGLE, 0.0),
    Kind("成品油", KEY, 0.45, "加油站",
         ("中国石化销售股份有限公司河北河清{short}{place}加油站",
          "中国石油天然气股份有限公司河北河清{short}{place}加油站"),
         STATE_OWNED, (800, 3000), SINGLE, 0.0),
    Kind("成品油", KEY, 0.55, "加油站",
         ("河清县{brand}加油站", "河清县{short}{brand}加油站", "河清县{brand}石油经销有限公司"),
         {"有限责任公司": 60, "个人独资企业": 40}, (600, 2500), SINGLE, 0.0),
    Kind("餐饮", KEY, 0.03, "餐饮场所",
         ("河清县{brand}大酒店有限公司", "河清县{brand}餐饮管理有限公司", "河清县{brand}宴会中心"),
         COMPANY, (1500, 6000), TOWER, 1.0),
    Kind("餐饮", GENERAL, 0.45, "餐饮场所",
         ("河清县{town}{brand}饭店", "河清县{town}{brand}酒楼", "河清县{town}{brand}火锅店",
          "河清县{town}{brand}餐厅", "河清县{brand}餐饮有限公司"),
         MIXED, (150, 1200), SHOPFRONT, 0.1),
    Kind("餐饮", SMALL, 0.52, "餐饮场所",
         ("河清县{town}{nick}面馆", "河清县{town}{nick}快餐店", "河清县{town}{nick}小吃部",
          "河清县{town}{nick}烧烤店", "河清县{town}{nick}包子铺", "河清县{town}{brand}饺子馆"),
         SHOP, (20, 150), SINGLE, 0.0),
    Kind("零售", KEY, 0.025, "商场",
         ("河清县{brand}购物广场有限公司", "河清县{brand}商贸城有限公司", "河清县{brand}百货有限公司"),
         COMPANY, (3000, 20000), MALL, 1.0),
    Kind("零售", GENERAL, 0.06, "商场",
         ("河清县{brand}超市有限公司", "河清县{town}{brand}购物中心", "河清县{brand}家电商场"),
         COMPANY, (1000, 3000), MALL, 1.0),
    Kind("零售", GENERAL, 0.365, "超市",
         ("河清县{town}{brand}超市", "河清县{brand}商贸有限公司", "河清县{brand}大药房{short}店",
          "河清县{town}{brand}建材商店", "河清县{town}{brand}农资店"),
         MIXED, (150, 1000), SHOPFRONT, 0.0),
    Kind("零售", SMALL, 0.55, "小商店",
         ("河清县{town}{brand}便利店", "河清县{town}{nick}小卖部", "河清县{town}{brand}日杂店",
          "河清县{town}{brand}五金店", "河清县{town}{brand}烟酒店", "河清县{town}{brand}服装店",
          "河清县{town}{brand}手机店", "河清县{town}{brand}母婴用品店"),
         SHOP, (15, 150), SINGLE, 0.0),
    Kind("住宿", KEY, 0.12, "宾馆",
         ("河清县{brand}大酒店有限公司", "河清县{brand}国际酒店有限公司"),
         COMPANY, (4000, 15000), TOWER, 1.0),
    Kind("住宿", GENERAL, 0.48, "宾馆",
         ("河清县{town}{brand}宾馆", "河清县{brand}商务酒店", "河清县{town}{brand}快捷酒店"),
         MIXED, (500, 3000), MIDRISE, 1.0),
    Kind("住宿", SMALL, 0.40, "宾馆",
         ("河清县{town}{brand}旅馆", "河清县{town}{brand}招待所", "河清县{town}{brand}家庭旅馆"),
         SHOP, (80, 400), SHOPFRONT, 1.0),
    Kind("娱乐", KEY, 0.20, "歌舞娱乐场所",
         ("河清县{brand}娱乐有限公司", "河清县{brand}量贩KTV", "河清县{brand}洗浴中心"),
         COMPANY, (800, 4000), NIGHTLIFE, 1.0),
    Kind("娱乐", GENERAL, 0.30, "网吧",
         ("河清县{town}{brand}网吧", "河清县{brand}网咖"),
         MIXED, (150, 600), SHOPFRONT, 1.0),
    Kind("娱乐", GENERAL, 0.20, "歌舞娱乐场所",
         ("河清县{town}{brand}KTV", "河清县{town}{brand}歌厅"),
         MIXED, (200, 800), NIGHTLIFE, 1.0),
    Kind("娱乐", SMALL, 0.30, "游艺场所",
         ("河清县{town}{brand}棋牌室", "河清县{town}{brand}电子游戏厅"),
         SHOP, (40, 200), SINGLE, 1.0),
    Kind("医疗", KEY, 0.08, "医院",
         ("河清县人民医院", "河清县中医院", "河清县妇幼保健院", "河清县第二人民医院", "河清县{town}卫生院"),
         PUBLIC, (3000, 30000), TOWER, 1.0),
    Kind("医疗", KEY, 0.10, "医院",
         ("河清{brand}医院", "河清县{brand}骨科医院", "河清县{brand}眼科医院有限公司"),
         {"民办非企业单位": 50, "有限责任公司": 50}, (1500, 8000), MIDRISE, 1.0),
    Kind("医疗", GENERAL, 0.40, "门诊部",
         ("河清县{brand}门诊部", "河清县{brand}口腔门诊部", "河清县{town}{brand}中医门诊部"),
         {"有限责任公司": 50, "个体工商户": 50}, (150, 800), SHOPFRONT, 0.0),
    Kind("医疗", SMALL, 0.42, "诊所",
         ("河清县{town}{person}诊所", "河清县{town}{person}中医诊所", "河清县{town}{brand}口腔诊所"),
         SHOP, (30, 150), SINGLE, 0.0),
    Kind("教育", KEY, 0.20, "学校",
         ("河清县第{n}中学", "河清县{town}中心小学", "河清县{town}中学", "河清县第{n}实验小学",
          "河清县{town}中心幼儿园"),
         PUBLIC, (3000, 30000), MIDRISE, 1.0),
    Kind("教育", GENERAL, 0.25, "学校",
         ("河清县{town}{place}小学", "河清县{town}{place}幼儿园"),
         PUBLIC, (800, 5000), MIDRISE, 1.0),
    Kind("教育", GENERAL, 0.35, "学校",
         ("河清县{brand}幼儿园", "河清县{brand}培训学校", "河清县{brand}艺术培训学校"),
         NONPROFIT, (300, 2000), MIDRISE, 1.0),
    Kind("教育", SMALL, 0.20, "培训机构",
         ("河清县{town}{brand}托管中心", "河清县{town}{brand}书法培训部", "河清县{town}{brand}学习辅导中心"),
         SHOP, (60, 300), SHOPFRONT, 0.5),
    Kind("仓储物流", KEY, 0.08, "仓库",
         ("河清县{brand}物流园有限公司", "河清县{brand}仓储有限公司", "河清县{brand}冷链物流有限公司"),
         COMPANY, (8000, 60000), SINGLE, 0.0),
    Kind("仓储物流", GENERAL, 0.84, "仓库",
         ("河清县{brand}物流有限公司", "河清县{brand}货运有限公司", "河清县{brand}快递服务有限公司",
          "河清县{brand}仓储服务部"),
         SMALL_FIRM, (300, 5000), PLANT, 0.0),
    Kind("仓储物流", SMALL, 0.08, "小商店",
         ("河清县{town}{brand}快递驿站", "河清县{town}{brand}货运部"),
         SHOP, (20, 120), SINGLE, 0.0),
)

CREDIT_CLASSES = {"A": 20, "B": 50, "C": 22, "D": 8}
# History flags: probability by credit class (A, B, C, D); risky classes carry the history.
FLAG_RATES = {
    "投诉举报": (0.01, 0.03, 0.08, 0.15),
    "发生事故": (0.002, 0.005, 0.02, 0.06),
    "行政处罚": (0.005, 0.02, 0.07, 0.15),
    "列入黑名单": (0.0, 0.0, 0.0, 0.06),
    "重大隐患": (0.0, 0.005, 0.03, 0.10),
}
# Accidents and major hidden dangers are twice as likely where the hazards are.
HAZARDOUS = {"危险化学品", "烟花爆竹", "工贸", "成品油"}
HAZARD_FLAGS = {"发生事故", "重大隐患"}
STATUSES = {"存续": 94, "停业": 3, "注销": 1, "迁出": 1, "查无此户": 1}

SUBJECT_HEADER = (
    "统一社会信用代码", "单位名称", "地址", "法定代表人", "法定代表人电话", "安全管理人", "安全管理人电话",
    "单位类型", "建筑面积（㎡）", "建筑分类", "场所类型", "行业主管部门", "乡镇", "行业", "单位类别",
    "人员密集场所", "信用风险分类", "投诉举报", "发生事故", "行政处罚", "列入黑名单", "重大隐患", "经营状态", "备注",
)

# ---------------------------------------------------------------------------------------------
# Inspectors (执法检查人员名录库)
# ---------------------------------------------------------------------------------------------

LEADERS = {"局长", "副局长", "分局长", "副分局长", "大队长", "副大队长", "教导员", "执法大队队长", "执法大队长",
           "所长", "股长", "科长"}


@dataclass(frozen=True)
class Staffing:
    titles: tuple[tuple[str, int], ...]  # 职务 and head count
    posts: tuple[str, ...]  # 岗位
    fixed_posts: dict[str, str]  # 职务 whose 岗位 follows from it
    ranks: dict[str, int]  # 职称
    specialties: tuple[tuple[str, int], ...]  # 执法专长 combination and head count
    extra_leads: int  # experienced (8+ years) non-leaders who may also lead a joint team


STAFFING = {
    "yjj": Staffing(
        (("副局长", 1), ("执法大队队长", 1), ("股长", 4), ("副股长", 3), ("科员", 5), ("执法队员", 6)),
        ("危险化学品安全监督管理股", "工贸安全监督管理股", "安全生产执法大队", "法规股", "监督管理股"),
        {"副局长": "局领导", "执法大队队长": "安全生产执法大队"},
        {"无": 6, "助理工程师": 5, "工程师": 7, "高级工程师": 2},
        (("危险化学品", 3), ("危险化学品、工贸", 3), ("危险化学品、成品油", 2), ("危险化学品、烟花爆竹", 2),
         ("烟花爆竹", 2), ("烟花爆竹、零售", 1), ("工贸", 4), ("工贸、仓储物流", 2), ("工贸、特种设备", 1)),
        4),
    "scj": Staffing(
        (("副局长", 1), ("所长", 4), ("副所长", 3), ("科长", 2), ("科员", 6), ("执法人员", 4)),
        ("登记注册科", "信用监督管理科", "质量发展和计量科", "特种设备安全监察科", "食品经营监管科",
         "城关市场监管所", "河西市场监管所", "柳庄市场监管所", "王桥市场监管所"),
        {"副局长": "局领导"},
        {"无": 8, "助理工程师": 4, "工程师": 4, "经济师": 3, "助理经济师": 1},
        (("食品安全、餐饮", 4), ("食品安全、零售", 3), ("计量、成品油", 2), ("计量", 2), ("产品质量、工贸", 3),
         ("特种设备", 3), ("产品质量、危险化学品", 2), ("零售", 1)),
        1),
    "swj": Staffing(
        (("副局长", 1), ("科长", 2), ("副科长", 2), ("科员", 5), ("执法人员", 4)),
        ("市场运行和消费促进科", "流通业发展科", "商务综合行政执法大队"),
        {"副局长": "局领导"},
        {"无": 6, "助理经济师": 4, "经济师": 4},
        (("成品油", 8), ("成品油、零售", 3), ("零售", 2), ("餐饮、住宿", 1)),
        1),
    "xfj": Staffing(
        (("大队长", 1), ("教导员", 1), ("副大队长", 1), ("监督干部", 5), ("消防文员", 2)),
        ("外勤办公室", "内勤办公室"),
        {"大队长": "大队领导", "教导员": "大队领导", "副大队长": "大队领导", "消防文员": "内勤办公室"},
        {"无": 5, "助理工程师": 3, "工程师": 2},
        (("消防监督", 4), ("消防监督、娱乐", 1), ("消防监督、住宿", 1), ("消防监督、医疗、教育", 1),
         ("消防监督、危险化学品", 2), ("消防监督、成品油", 1)),
        1),
    "hbj": Staffing(
        (("分局长", 1), ("副分局长", 1), ("执法大队长", 1), ("股长", 3), ("科员", 6), ("执法人员", 4)),
        ("生态环境保护综合执法大队", "环境监测站", "污染防治股", "环评与排污许可股"),
        {"分局长": "分局领导", "副分局长": "分局领导", "执法大队长": "生态环境保护综合执法大队"},
        {"无": 4, "助理工程师": 5, "工程师": 5, "高级工程师": 2},
        (("环境监测", 5), ("环境监测、危险化学品", 4), ("环境监测、工贸", 4), ("危险化学品", 1), ("工贸", 2)),
        0),
}
# Certificate troubles the importer has to notice: (department, what, 备注).
CERTIFICATE_ISSUES = (
    ("yjj", "expired", ""),
    ("scj", "expired", "执法证已过期，换证审核中"),
    ("swj", "expired", ""),
    ("hbj", "expired", "执法证已过期，待换发"),
    ("scj", "missing", "新入职，执法证申领中"),
    ("hbj", "missing", "新入职，执法证申领中"),
    ("xfj", "expiring", "执法证2024年6月到期，已申请换证"),
)
UNAVAILABLE_REASONS = ("参加省厅执法业务培训", "年休假", "参加县委专项督查", "外出学习")
UNAVAILABLE_PEOPLE = 8
CAMPAIGN_HOLIDAYS = {date(2024, 6, 10)}  # 端午节

INSPECTOR_HEADER = (
    "姓名", "性别", "所属单位", "职务", "执法证号", "执法证有效期至", "岗位", "职称", "执法年限", "执法专长",
    "片区", "可任组长", "不可用日期", "手机号码", "备注",
)

# ---------------------------------------------------------------------------------------------
# Inspection item lists (随机抽查事项清单), one per department
# ---------------------------------------------------------------------------------------------

ITEM_HEADER = (
    "事项编号", "抽查事项", "事项类别", "抽查依据", "检查主体", "检查对象", "适用行业", "检查内容", "检查方式",
    "抽查比例/频次", "需企业提供的材料", "备注",
)
# Reach required by the demo campaign (seed 004): a petrol station is visited by 应急管理局,
# 市场监督管理局, 商务局 and 消防救援大队; a chemicals enterprise by all but 商务局.
ITEMS = {
    "yjj": (
        dict(抽查事项="危险化学品及相关企业的安全检查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国安全生产法》第六十五条；《危险化学品安全管理条例》第六条、第七条",
             检查对象="辖区内危险化学品生产、经营、储存、使用单位及加油站", 适用行业="危险化学品、成品油",
             检查内容="安全生产许可或经营许可情况；安全生产责任制和安全管理制度落实情况；重大危险源辨识、登记和监控情况；"
                     "隐患排查治理情况；从业人员安全培训和特种作业人员持证情况；应急预案编制、备案和演练情况",
             检查方式="书面检查、实地核查", 比例="不低于20%；重大危险源单位每年至少1次",
             材料=("营业执照复印件", "安全生产许可证或危险化学品经营许可证", "安全生产责任制及安全管理制度",
                   "应急预案备案表", "安全评价报告", "隐患排查治理台账", "从业人员安全培训记录"),
             备注="对投诉举报多、受过行政处罚、列入黑名单的单位每半年检查一次"),
        dict(抽查事项="工贸行业企业的安全检查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国安全生产法》第六十五条；《工贸企业重大事故隐患判定标准》",
             检查对象="辖区内冶金、有色、建材、机械、轻工、纺织、烟草、商贸行业企业", 适用行业="工贸、仓储物流",
             检查内容="安全生产主体责任落实情况；粉尘防爆、有限空间作业、涉爆粉尘等重点环节管理情况；"
                     "安全设施和劳动防护用品情况；隐患排查治理情况；安全教育培训情况",
             检查方式="书面检查、实地核查", 比例="不低于20%",
             材料=("营业执照复印件", "安全生产责任制及安全管理制度", "安全操作规程", "隐患排查治理台账",
                   "从业人员安全培训记录", "应急预案备案表"),
             备注=""),
        dict(抽查事项="烟花爆竹经营单位安全检查", 事项类别="重点检查事项",
             抽查依据="《烟花爆竹安全管理条例》第四条；《中华人民共和国安全生产法》第六十五条",
             检查对象="辖区内烟花爆竹批发、零售经营单位", 适用行业="烟花爆竹",
             检查内容="经营许可证及有效期；储存场所、仓库安全距离和限量存放情况；进货查验和流向登记情况；"
                     "超范围、超许可经营情况；安全管理人员培训情况",
             检查方式="书面检查、实地核查", 比例="批发企业每年至少1次；零售点不低于30%",
             材料=("烟花爆竹经营（批发/零售）许可证", "营业执照复印件", "进货查验及流向登记记录", "安全管理制度",
                   "安全管理人员培训证明"),
             备注="春节前后开展定向抽查"),
    ),
    "scj": (
        dict(抽查事项="登记事项检查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国市场主体登记管理条例》第三十八条",
             检查对象="辖区内各类市场主体", 适用行业="全部",
             检查内容="名称、住所（经营场所）、法定代表人（负责人）、经营范围等登记事项与实际情况是否一致",
             检查方式="书面检查、实地核查、网络监测", 比例="不低于5%",
             材料=("营业执照正副本", "公司章程或合伙协议", "住所（经营场所）使用证明"),
             备注=""),
        dict(抽查事项="公示信息检查", 事项类别="一般检查事项",
             抽查依据="《企业信息公示暂行条例》第十四条",
             检查对象="辖区内企业、农民专业合作社及个体工商户", 适用行业="全部",
             检查内容="年度报告公示信息、即时公示信息的真实性、及时性",
             检查方式="书面检查、网络监测、实地核查", 比例="不低于3%",
             材料=("年度报告及财务报表", "社保缴纳凭证", "行政许可证件", "股东出资凭证"),
             备注=""),
        dict(抽查事项="产品质量监督检查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国产品质量法》第十五条",
             检查对象="辖区内工业产品生产、销售企业", 适用行业="工贸、危险化学品、零售",
             检查内容="产品标识标注情况；生产许可证或强制性认证情况；进货查验记录；监督抽样检验",
             检查方式="实地核查、抽样检验", 比例="不低于10%",
             材料=("产品合格证明", "进货查验记录", "产品检验检测报告", "工业产品生产许可证（如需）"),
             备注=""),
        dict(抽查事项="计量监督检查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国计量法》第十八条；《加油站计量监督管理办法》",
             检查对象="辖区内使用强制检定计量器具的单位", 适用行业="成品油、零售、餐饮、医疗",
             检查内容="强制检定计量器具登记和检定情况；加油机等计量器具铅封完好情况；定量包装商品净含量",
             检查方式="实地核查、现场检测", 比例="加油站每年至少1次；其他不低于5%",
             材料=("计量器具台账", "强制检定证书", "加油机检定合格证书"),
             备注=""),
        dict(抽查事项="拍卖等重要领域市场规范管理检查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国拍卖法》第十一条；《拍卖监督管理办法》第三条",
             检查对象="辖区内拍卖企业及重要领域经营者", 适用行业="零售",
             检查内容="拍卖活动备案及经营行为；明码标价、格式合同等经营规范情况",
             检查方式="书面检查、实地核查", 比例="不低于5%",
             材料=("营业执照复印件", "拍卖活动备案材料", "格式合同文本"),
             备注=""),
        dict(抽查事项="特种设备安全监督检查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国特种设备安全法》第五十七条",
             检查对象="辖区内特种设备使用单位", 适用行业="危险化学品、工贸、住宿、娱乐、医疗、教育、仓储物流",
             检查内容="特种设备使用登记和定期检验情况；作业人员持证上岗情况；安全技术档案和维护保养记录",
             检查方式="书面检查、实地核查", 比例="不低于10%",
             材料=("特种设备使用登记证", "定期检验报告", "作业人员资格证书", "维护保养记录"),
             备注=""),
        dict(抽查事项="食品经营安全监督检查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国食品安全法》第一百一十条",
             检查对象="辖区内食品销售、餐饮服务经营者及学校食堂", 适用行业="餐饮、零售、教育",
             检查内容="食品经营许可情况；从业人员健康证明；进货查验记录；食品贮存和加工制作环境",
             检查方式="实地核查、抽样检验", 比例="不低于10%",
             材料=("食品经营许可证", "从业人员健康证明", "进货查验记录", "食品安全管理制度"),
             备注=""),
    ),
    "swj": (
        dict(抽查事项="成品油市场管理检查", 事项类别="重点检查事项",
             抽查依据="《国务院对确需保留的行政审批项目设定行政许可的决定》（国务院令第412号）；"
                     "《商务部关于做好石油成品油流通管理“放管服”改革工作的通知》（商运函〔2019〕659号）",
             检查对象="辖区内成品油零售经营企业（加油站）", 适用行业="成品油",
             检查内容="成品油零售经营批准证书及有效期；油品来源和进销存台账；擅自新建、改扩建情况；"
                     "超范围经营、销售不合格油品情况",
             检查方式="书面检查、实地核查", 比例="不低于20%",
             材料=("成品油零售经营批准证书", "营业执照复印件", "油品购销合同及进货凭证", "进销存台账"),
             备注=""),
        dict(抽查事项="单用途商业预付卡管理检查", 事项类别="一般检查事项",
             抽查依据="《单用途商业预付卡管理办法（试行）》第五条",
             检查对象="辖区内发行单用途商业预付卡的零售、餐饮、住宿、娱乐企业", 适用行业="零售、餐饮、住宿、娱乐",
             检查内容="发卡备案情况；预收资金余额及存管情况；购卡章程和协议公示情况",
             检查方式="书面检查、网络监测", 比例="不低于5%",
             材料=("发卡企业备案材料", "预收资金存管协议", "购卡章程"),
             备注="仅限发行预付卡的企业；应急管理领域联合抽查不选用本事项"),
    ),
    "xfj": (
        dict(抽查事项="对单位履行法定消防安全职责情况的监督抽查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国消防法》第五十三条；《消防监督检查规定》第六条",
             检查对象="辖区内机关、团体、企业、事业等单位", 适用行业="全部",
             检查内容="消防安全责任制落实情况；消防设施、器材和消防安全标志设置及完好有效情况；"
                     "疏散通道、安全出口畅通情况；防火检查巡查和火灾隐患整改情况；消防安全培训和演练情况",
             检查方式="书面检查、实地核查",
             比例="人员密集场所的消防安全重点单位每年至少1次；其他重点单位不低于80%；一般单位不低于20%；九小场所不低于2%",
             材料=("消防安全管理制度", "防火检查巡查记录", "消防设施维护保养检测报告", "灭火和应急疏散预案",
                   "消防安全培训及演练记录"),
             备注=""),
        dict(抽查事项="对使用领域消防产品质量的监督检查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国消防法》第二十四条；《消防产品监督管理规定》",
             检查对象="辖区内使用消防产品的单位", 适用行业="全部",
             检查内容="消防产品市场准入情况；产品一致性；现场产品质量检查或者抽样检验",
             检查方式="实地核查、现场检测", 比例="不低于10%",
             材料=("消防产品合格证明文件", "消防产品采购凭证"),
             备注=""),
        dict(抽查事项="对社会消防技术服务活动的监督抽查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国消防法》第三十四条；《社会消防技术服务管理规定》",
             检查对象="为辖区单位提供消防设施维护保养检测、消防安全评估服务的消防技术服务机构（结合被服务单位实地核查）",
             适用行业="全部",
             检查内容="技术服务机构从业条件；技术服务合同、书面结论文件及签名盖章情况；维保检测质量",
             检查方式="书面检查、实地核查", 比例="不低于10%",
             材料=("消防技术服务合同", "维护保养检测报告或评估报告"),
             备注=""),
        dict(抽查事项="对注册消防工程师执业活动的监督抽查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国消防法》第三十四条；《注册消防工程师管理规定》",
             检查对象="在辖区消防技术服务机构、消防安全重点单位执业的注册消防工程师", 适用行业="全部",
             检查内容="注册执业情况；执业签章的书面结论文件；是否同时在两个以上单位执业",
             检查方式="书面检查、网络监测", 比例="不低于5%",
             材料=("注册消防工程师注册证书", "执业签章文件"),
             备注=""),
    ),
    "hbj": (
        dict(抽查事项="排污许可执行情况检查", 事项类别="重点检查事项",
             抽查依据="《排污许可管理条例》第二十八条",
             检查对象="辖区内实行排污许可管理的排污单位", 适用行业="危险化学品、工贸",
             检查内容="持证排污情况；排放口设置和污染物排放浓度、排放量；自行监测和环境管理台账；执行报告提交情况",
             检查方式="书面检查、实地核查、网络监测", 比例="重点管理单位不低于20%；简化管理单位不低于5%",
             材料=("排污许可证", "自行监测方案及监测报告", "环境管理台账", "排污许可证执行报告"),
             备注=""),
        dict(抽查事项="危险废物规范化管理检查", 事项类别="重点检查事项",
             抽查依据="《中华人民共和国固体废物污染环境防治法》第七十七条、第七十八条",
             检查对象="辖区内产生、收集、贮存危险废物的单位", 适用行业="危险化学品、工贸",
             检查内容="危险废物识别标志；管理计划备案和申报登记；贮存设施规范情况；转移联单执行情况",
             检查方式="书面检查、实地核查", 比例="不低于10%",
             材料=("危险废物管理计划", "危险废物申报登记材料", "转移联单", "委托处置合同"),
             备注=""),
        dict(抽查事项="建设项目环境影响评价及“三同时”制度执行情况检查", 事项类别="一般检查事项",
             抽查依据="《中华人民共和国环境影响评价法》第二十五条；《建设项目环境保护管理条例》第十五条",
             检查对象="辖区内已建、在建建设项目", 适用行业="危险化学品、工贸",
             检查内容="环评审批手续；环境保护设施与主体工程同时设计、同时施工、同时投产使用情况；竣工环境保护验收",
             检查方式="书面检查、实地核查", 比例="不低于5%",
             材料=("环境影响评价文件及批复", "竣工环境保护验收报告"),
             备注=""),
    ),
}

# ---------------------------------------------------------------------------------------------
# Recusals (回避关系)
# ---------------------------------------------------------------------------------------------

CONFLICT_HEADER = ("执法证号", "姓名", "统一社会信用代码", "单位名称", "回避原因")
# (industry of the enterprise, department of the inspector, 回避原因); the inspector's expertise
# fits the enterprise so that the recusal takes away a candidate the draw would want.
CONFLICTS = (
    ("危险化学品", "yjj", "近亲属任职"),
    ("危险化学品", "hbj", "曾在该单位任职"),
    ("危险化学品", "scj", "利害关系"),
    ("成品油", "swj", "近亲属任职"),
    ("成品油", "yjj", "近亲属持股"),
    ("成品油", "xfj", "曾在该单位任职"),
)


# ---------------------------------------------------------------------------------------------
# Generation
# ---------------------------------------------------------------------------------------------


def pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def apportion(total: int, shares: list[float]) -> list[int]:
    """Integer counts proportional to `shares` that add up to `total` (largest remainder)."""
    exact = [total * s / sum(shares) for s in shares]
    counts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


class Generator:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.phones: set[str] = set()
        self.villages = {
            town.name: [self.surname() + rng.choice(VILLAGE_SUFFIXES) for _ in range(6)]
            for town in TOWNS if town.village_share
        }

    # -- people ---------------------------------------------------------------------------

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]

    def person(self, gender: str | None = None) -> str:
        gender = gender or self.rng.choice(("男", "男", "女"))
        first, second = GIVEN[gender]
        given = self.rng.choice(second)
        if self.rng.random() < 0.7:
            given = self.rng.choice(first.replace(given, "")) + given  # no 国国
        return self.surname() + given

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    # -- subjects -------------------------------------------------------------------------

    def credit_code(self, unit_type: str) -> str:
        """A GB 32100-2015 code whose organisation-code part carries its own GB 11714 check."""
        division = CITY_DIVISION if self.rng.random() < 0.04 else DIVISION
        prefix = CREDIT_PREFIX[unit_type]
        if prefix == "52":
            body = "MJ" + "".join(self.rng.choices(CHARSET, k=6))
        elif prefix == "12":
            body = "4" + "".join(self.rng.choices("0123456789", k=7))
        elif self.rng.random() < 0.6:  # registered after 2015
            body = "MA" + "".join(self.rng.choices(CHARSET, k=6))
        else:
            body = self.rng.choice("3567") + "".join(self.rng.choices("0123456789", k=7))
        first17 = prefix + division + body + organisation_check(body)
        return first17 + check_character(first17)

    def location(self, kind: Kind) -> tuple[Town, str, str]:
        """Town, place (street or village) and full address."""
        weights = [t.weight * (INDUSTRIAL_ZONE_BOOST if kind.industry in INDUSTRIAL and t.name == "开发区" else 1)
                   for t in TOWNS]
        town = self.rng.choices(TOWNS, weights=weights)[0]
        if self.rng.random() < town.village_share:
            village = self.rng.choice(self.villages[town.name])
            number = f"{self.rng.randint(1, 260)}号"
            tail = self.rng.choice((number, number, "东", "西", "南", "北"))
            return town, village, f"{COUNTY}{town.name}{village}村{tail}"
        street = self.rng.choice(town.streets)
        return town, street, f"{COUNTY}{town.name}{street}{self.rng.randint(1, 399)}号"

    def subject_name(self, kind: Kind, town: Town, place: str, owner: str) -> str:
        first = self.rng.choice(BRAND_FIRST)
        brand = first + self.rng.choice(BRAND_SECOND.replace(first, ""))  # no 瑞瑞
        return self.rng.choice(kind.templates).format(
            brand=brand, town=town.name, short=town.short, place=place,
            nick=self.rng.choice(NICK_STYLES).format(s=owner[0]),
            person=owner, n=self.rng.choice(NUMERALS),
        )

    def unit_type(self, kind: Kind, name: str) -> str:
        # Only companies may carry 有限公司 in their name, and they must.
        is_company = "有限公司" in name
        allowed = {t: w for t, w in kind.unit_types.items() if (t in COMPANY_TYPES) == is_company}
        return pick(self.rng, allowed or {("有限责任公司" if is_company else "个人独资企业"): 1})

    def area(self, kind: Kind) -> int:
        low, high = kind.area
        value = math.exp(self.rng.uniform(math.log(low), math.log(high)))
        return int(round(value, -1)) if value >= 1000 else int(value)

    def subjects(self) -> list[dict]:
        kind_counts = []
        industry_counts = apportion(SUBJECT_COUNT, [w for w, _ in INDUSTRIES.values()])
        for industry, count in zip(INDUSTRIES, industry_counts):
            kinds = [k for k in KINDS if k.industry == industry]
            kind_counts += zip(kinds, apportion(count, [k.share for k in kinds]))

        rows, names, codes = [], set(), set()
        for kind, count in kind_counts:
            for _ in range(count):
                rows.append(self.subject(kind, names, codes))
        self.rng.shuffle(rows)  # exports are not grouped by industry
        return rows

    def subject(self, kind: Kind, names: set[str], codes: set[str]) -> dict:
        for _ in range(200):
            town, place, address = self.location(kind)
            representative = self.person()  # clinics and 老王-style shops carry the owner's name
            name = self.subject_name(kind, town, place, representative)
            if name not in names:
                break
        else:
            raise RuntimeError(f"ran out of unique names for {kind.industry}/{kind.category}/{kind.venue}")
        names.add(name)

        unit_type = self.unit_type(kind, name)
        code = self.credit_code(unit_type)
        while code in codes:
            code = self.credit_code(unit_type)
        codes.add(code)

        representative_phone = self.mobile()
        if unit_type == "个体工商户" and self.rng.random() < 0.6:  # the owner is also the safety manager
            manager, manager_phone = representative, representative_phone
        else:
            manager, manager_phone = self.person(), self.mobile()

        credit = pick(self.rng, CREDIT_CLASSES)
        level = "ABCD".index(credit)
        hazardous = kind.industry in HAZARDOUS
        flags = {flag: self.rng.random() < rates[level] * (2 if hazardous and flag in HAZARD_FLAGS else 1)
                 for flag, rates in FLAG_RATES.items()}
        status = pick(self.rng, STATUSES)

        return {
            "统一社会信用代码": code, "单位名称": name, "地址": address,
            "法定代表人": representative, "法定代表人电话": representative_phone,
            "安全管理人": manager, "安全管理人电话": manager_phone,
            "单位类型": unit_type, "建筑面积（㎡）": self.area(kind), "建筑分类": pick(self.rng, kind.buildings),
            "场所类型": kind.venue, "行业主管部门": INDUSTRIES[kind.industry][1], "乡镇": town.name,
            "行业": kind.industry, "单位类别": kind.category,
            "人员密集场所": yes_no(self.rng.random() < kind.crowded), "信用风险分类": credit,
            **{flag: yes_no(value) for flag, value in flags.items()},
            "经营状态": status, "备注": self.subject_remark(status, flags),
        }

    def subject_remark(self, status: str, flags: dict[str, bool]) -> str:
        notes = []
        if status == "停业":
            notes.append(self.rng.choice(("2024年3月核查时已停业", "停业整顿中", "季节性停业")))
        elif status == "注销":
            notes.append(f"已于2023年{self.rng.randint(1, 12)}月办理注销登记")
        elif status == "迁出":
            notes.append(f"已迁至{self.rng.choice(OTHER_COUNTIES)}")
        elif status == "查无此户":
            notes.append(self.rng.choice(("按登记地址核查无此单位", "原址已拆迁，查无此户")))
        if flags["列入黑名单"]:
            notes.append("2023年列入安全生产失信惩戒名单")
        if flags["重大隐患"] and self.rng.random() < 0.5:
            notes.append("重大事故隐患整改中")
        if status == "存续" and self.rng.random() < 0.01:
            notes.append("联系电话有误，待核实")
        return "；".join(notes)

    # -- inspectors -----------------------------------------------------------------------

    def inspectors(self) -> list[dict]:
        rows, names = [], set()
        for department in DEPARTMENTS:
            staffing = STAFFING[department.code]
            titles = expand(staffing.titles)
            specialties = expand(staffing.specialties)
            assert len(titles) == len(specialties) == department.size, department.code
            self.rng.shuffle(specialties)
            zones = [list(ZONES)[i % len(ZONES)] for i in range(department.size)]
            self.rng.shuffle(zones)
            serials = sorted(self.rng.sample(range(1, 200), department.size))
            staff = []
            for title, specialty, zone, serial in zip(titles, specialties, zones, serials):
                gender = "男" if self.rng.random() < (0.85 if department.code == "xfj" else 0.65) else "女"
                name = self.person(gender)
                while name in names:
                    name = self.person(gender)
                names.add(name)
                leader = title in LEADERS
                years = self.rng.randint(10, 28) if leader else self.rng.randint(1, 6 if title == "消防文员" else 20)
                staff.append({
                    "姓名": name, "性别": gender, "所属单位": department.name, "职务": title,
                    "执法证号": f"{DIVISION}{department.number}{serial:03d}",
                    "执法证有效期至": self.valid_until(), "岗位": self.post(staffing, title),
                    "职称": self.rank(staffing, years), "执法年限": years, "执法专长": specialty,
                    "片区": zone, "可任组长": yes_no(leader), "不可用日期": "", "手机号码": self.mobile(), "备注": "",
                })
            experienced = [r for r in staff if r["可任组长"] == "否" and r["执法年限"] >= 8]
            for row in self.rng.sample(experienced, staffing.extra_leads):
                row["可任组长"] = "是"
            rows += staff
        self.certificate_issues(rows)
        self.unavailability(rows)
        return rows

    def post(self, staffing: Staffing, title: str) -> str:
        if title in staffing.fixed_posts:
            return staffing.fixed_posts[title]
        # A 所长 heads a market supervision station; everyone else works in one of the offices.
        stations = [p for p in staffing.posts if p.endswith("所")]
        if title in {"所长", "副所长"} and stations:
            return self.rng.choice(stations)
        return self.rng.choice([p for p in staffing.posts if p not in stations])

    def rank(self, staffing: Staffing, years: int) -> str:
        rank = pick(self.rng, staffing.ranks)
        # Newcomers rarely hold more than an assistant title.
        return rank if years >= 5 or rank == "无" or rank.startswith("助理") else "无"

    def valid_until(self) -> str:
        # Renewed certificates: valid through the 2024 campaign and the open one that follows it.
        return (date(2027, 3, 1) + timedelta(days=self.rng.randrange(4 * 365))).isoformat()

    def certificate_issues(self, rows: list[dict]) -> None:
        touched = set()
        for code, issue, remark in CERTIFICATE_ISSUES:
            department = next(d.name for d in DEPARTMENTS if d.code == code)
            candidates = [i for i, r in enumerate(rows)
                          if r["所属单位"] == department and i not in touched and r["可任组长"] == "否"]
            index = self.rng.choice(candidates)
            touched.add(index)
            row = rows[index]
            if issue == "expired":
                row["执法证有效期至"] = (date(2023, 3, 1) + timedelta(days=self.rng.randrange(400))).isoformat()
            elif issue == "expiring":
                row["执法证有效期至"] = "2024-06-28"
            else:
                row["执法证号"] = row["执法证有效期至"] = ""
                row["执法年限"] = 0
            row["备注"] = remark

    def unavailability(self, rows: list[dict]) -> None:
        june = [date(2024, 6, d) for d in range(1, 31)]
        workdays = [d for d in june if d.weekday() < 5 and d not in CAMPAIGN_HOLIDAYS]
        certified = [r for r in rows if r["执法证有效期至"] > CAMPAIGN_END and not r["备注"]]
        for row in self.rng.sample(certified, UNAVAILABLE_PEOPLE):
            start = self.rng.randrange(len(workdays) - 3)
            days = workdays[start:start + self.rng.randint(1, 3)]
            row["不可用日期"] = "、".join(d.isoformat() for d in days)
            row["备注"] = self.rng.choice(UNAVAILABLE_REASONS)

    # -- recusals -------------------------------------------------------------------------

    def conflicts(self, subjects: list[dict], inspectors: list[dict]) -> list[tuple]:
        rows, used_subjects, used_inspectors = [], set(), set()
        for industry, code, reason in CONFLICTS:
            department = next(d.name for d in DEPARTMENTS if d.code == code)
            enterprise = self.rng.choice([s for s in subjects if s["行业"] == industry and s["经营状态"] == "存续"
                                          and s["统一社会信用代码"] not in used_subjects])
            pool = [i for i in inspectors if i["所属单位"] == department and i["执法证有效期至"] > CAMPAIGN_END
                    and i["执法证号"] not in used_inspectors]
            fitting = [i for i in pool if industry in i["执法专长"].split("、")]
            inspector = self.rng.choice(fitting or pool)
            used_subjects.add(enterprise["统一社会信用代码"])
            used_inspectors.add(inspector["执法证号"])
            rows.append((inspector["执法证号"], inspector["姓名"], enterprise["统一社会信用代码"],
                         enterprise["单位名称"], reason))
        return rows


def organisation_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, weights))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def expand(counted: tuple[tuple[str, int], ...]) -> list[str]:
    return [value for value, count in counted for _ in range(count)]


def yes_no(flag: bool) -> str:
    return "是" if flag else "否"


def check_inspectors(rows: list[dict]) -> None:
    """The demo campaign needs enough certified specialists in the lead department."""
    valid = [r for r in rows if r["所属单位"] == "应急管理局" and r["执法证有效期至"] > CAMPAIGN_END]
    for tag, minimum in (("危险化学品", 5), ("烟花爆竹", 3)):
        holders = sum(tag in r["执法专长"].split("、") for r in valid)
        if holders < minimum:
            raise SystemExit(f"应急管理局 has only {holders} certified {tag} inspectors; adjust STAFFING")


# ---------------------------------------------------------------------------------------------
# Excel output
# ---------------------------------------------------------------------------------------------


def write_workbook(path: Path, sheet: str, header: tuple[str, ...], rows, widths: dict[int, int],
                   title: str | None = None) -> None:
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    workbook.set_properties({"title": sheet, "author": f"{COUNTY}双随机一公开工作领导小组办公室",
                             "created": FILE_TIMESTAMP})
    worksheet = workbook.add_worksheet(sheet)
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                "align": "center", "valign": "vcenter"})
    for column in range(len(header)):
        worksheet.set_column(column, column, widths.get(column, 12))
    row = 0
    if title:
        banner = workbook.add_format({"bold": True, "font_size": 14, "align": "center"})
        worksheet.merge_range(0, 0, 0, len(header) - 1, title, banner)
        row = 1
    worksheet.write_row(row, 0, header, head)
    worksheet.freeze_panes(row + 1, 0)
    for values in rows:
        row += 1
        worksheet.write_row(row, 0, [value if value != "" else None for value in values])
    workbook.close()


def main() -> None:
    rng = random.Random(SEED)
    generator = Generator(rng)
    subjects = generator.subjects()
    inspectors = generator.inspectors()
    check_inspectors(inspectors)
    conflicts = generator.conflicts(subjects, inspectors)

    write_workbook(SEEDS / "departments.xlsx", "部门", ("部门代码", "部门名称", "是否牵头部门"),
                   [(d.code, d.name, yes_no(d.lead)) for d in DEPARTMENTS], {1: 18, 2: 14})
    write_workbook(SEEDS / "subjects.xlsx", "检查对象名录库", SUBJECT_HEADER,
                   ([s[column] for column in SUBJECT_HEADER] for s in subjects),
                   {0: 22, 1: 40, 2: 34, 4: 14, 6: 14, 11: 16, 14: 16, 23: 30},
                   title=f"{COUNTY}检查对象名录库（导出日期：{EXPORT_DATE}）")
    write_workbook(SEEDS / "inspectors.xlsx", "执法检查人员名录库", INSPECTOR_HEADER,
                   ([i[column] for column in INSPECTOR_HEADER] for i in inspectors),
                   {2: 16, 4: 14, 5: 14, 6: 24, 9: 24, 10: 12, 12: 34, 13: 14, 14: 30})
    for department in DEPARTMENTS:
        rows = [(f"{department.code.upper()}-{n:03d}", item["抽查事项"], item["事项类别"], item["抽查依据"],
                 f"{COUNTY}{department.name}", item["检查对象"], item["适用行业"], item["检查内容"], item["检查方式"],
                 item["比例"], "、".join(item["材料"]), item["备注"])
                for n, item in enumerate(ITEMS[department.code], start=1)]
        write_workbook(SEEDS / f"items_{department.code}.xlsx", "随机抽查事项清单", ITEM_HEADER, rows,
                       {1: 30, 3: 40, 4: 20, 5: 30, 6: 24, 7: 50, 8: 18, 9: 30, 10: 50, 11: 24})
    write_workbook(SEEDS / "conflicts.xlsx", "回避关系", CONFLICT_HEADER, conflicts, {0: 14, 2: 22, 3: 40, 4: 16})
    write_workbook(SEEDS / "zones.xlsx", "片区", ("片区", "包含乡镇"),
                   [(zone, "、".join(towns)) for zone, towns in ZONES.items()], {0: 16, 1: 30})


if __name__ == "__main__":
    main()
