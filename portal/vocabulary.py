"""Words both domains share: the categories of petition matters (反映事项类别)."""

CATEGORIES = (
    "征地拆迁", "土地权属", "城乡建设", "企业改制", "劳动人事", "社会保障", "医疗卫生", "教育",
    "农村矛盾纠纷", "林业", "物业管理", "非法集资", "环境保护", "涉法涉诉", "民政",
)
