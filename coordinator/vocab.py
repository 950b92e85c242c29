"""The controlled vocabularies of the directories, as users write them."""

ROLES = {
    "office": "领导小组办公室",
    "admin": "单位系统管理员",
    "officer": "执法检查人员",
    "inspector": "检查人员个人账号",
}

CATEGORIES = ("消防安全重点单位", "一般单位", "九小场所")
RISK_CLASSES = ("A", "B", "C", "D")
RISK_LABELS = {"A": "A类（低风险）", "B": "B类（一般风险）", "C": "C类（较高风险）", "D": "D类（高风险）"}
HISTORY_FLAGS = {  # attribute → column header
    "has_complaint": "投诉举报",
    "has_accident": "发生事故",
    "has_penalty": "行政处罚",
    "blacklisted": "列入黑名单",
    "major_hazard": "重大隐患",
}
GENDERS = ("男", "女")
YES = {"是", "Y", "YES", "TRUE", "1", "√", "有"}
NO = {"否", "N", "NO", "FALSE", "0", "×", "无", ""}
