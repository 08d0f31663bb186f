"""动态调整: explicit decisions on a household's poverty status (脱贫, 纳入监测, 返贫, 清退, 自然减员,
即时帮扶) and the identification of candidate households (申请 → 村评议 → 公示 → 乡镇审核 → 县审定). The
state machine they drive is app.households.poverty."""
