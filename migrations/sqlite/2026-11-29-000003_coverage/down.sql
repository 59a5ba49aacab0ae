DROP TABLE daily_flows;
DROP TABLE targets;
DROP TABLE airings;
