-- The fleet's sums per project and UTC month (machine key 0, projects only), which the project shares of
-- long ranges read instead of a row per project and day. Rolled up here from the fleet's daily rows.
CREATE TABLE `history_monthly` (
	`bucket` integer NOT NULL,
	`machine` integer NOT NULL,
	`project` integer NOT NULL,
	`frames` integer DEFAULT 0 NOT NULL,
	`credits` real DEFAULT 0 NOT NULL,
	`render_time_ms` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`online_ms` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`machine`, `bucket`, `project`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `history_monthly` (`bucket`, `machine`, `project`, `frames`, `credits`, `render_time_ms`, `errors`, `online_ms`)
	SELECT CAST(strftime('%s', `bucket` / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 AS `month`, 0, `project`,
		sum(`frames`), sum(`credits`), sum(`render_time_ms`), sum(`errors`), sum(`online_ms`)
	FROM `history_daily` WHERE `machine` = 0 AND `project` <> 0 GROUP BY `month`, `project`;
