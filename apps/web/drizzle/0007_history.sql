CREATE TABLE `history_daily` (
	`bucket` integer NOT NULL,
	`machine` integer NOT NULL,
	`project` integer NOT NULL,
	`frames` integer DEFAULT 0 NOT NULL,
	`credits` real DEFAULT 0 NOT NULL,
	`render_time_ms` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`online_ms` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `machine`, `project`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `history_daily_machine` ON `history_daily` (`machine`,`bucket`);--> statement-breakpoint
CREATE TABLE `history_hourly` (
	`bucket` integer NOT NULL,
	`machine` integer NOT NULL,
	`project` integer NOT NULL,
	`frames` integer DEFAULT 0 NOT NULL,
	`credits` real DEFAULT 0 NOT NULL,
	`render_time_ms` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`online_ms` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`bucket`, `machine`, `project`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `history_hourly_machine` ON `history_hourly` (`machine`,`bucket`);--> statement-breakpoint
CREATE TABLE `history_machines` (
	`key` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`machine_id` text NOT NULL,
	`name` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `history_machines_machine_id_unique` ON `history_machines` (`machine_id`);--> statement-breakpoint
CREATE TABLE `history_projects` (
	`key` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `history_projects_name_unique` ON `history_projects` (`name`);--> statement-breakpoint
INSERT INTO `history_machines` (`machine_id`, `name`) SELECT `id`, `name` FROM `machines` ORDER BY `created_at`;--> statement-breakpoint
INSERT INTO `history_projects` (`name`) SELECT DISTINCT `project` FROM `frames` ORDER BY `project`;--> statement-breakpoint
INSERT INTO `history_hourly` (`bucket`, `machine`, `project`, `frames`, `credits`, `render_time_ms`)
SELECT (f.`finished_at` / 3600000) * 3600000, m.`key`, p.`key`, count(*), coalesce(sum(f.`credits`), 0), sum(f.`render_time_ms`)
FROM `frames` f JOIN `history_machines` m ON m.`machine_id` = f.`machine_id` JOIN `history_projects` p ON p.`name` = f.`project`
GROUP BY 1, 2, 3;--> statement-breakpoint
INSERT INTO `history_hourly` (`bucket`, `machine`, `project`, `errors`)
SELECT (e.`at` / 3600000) * 3600000, m.`key`, 0, count(*)
FROM `events` e JOIN `history_machines` m ON m.`machine_id` = e.`machine_id` WHERE e.`kind` = 'error'
GROUP BY 1, 2;--> statement-breakpoint
INSERT INTO `history_hourly` (`bucket`, `machine`, `project`, `frames`, `credits`, `render_time_ms`, `errors`)
SELECT `bucket`, 0, `project`, sum(`frames`), sum(`credits`), sum(`render_time_ms`), sum(`errors`) FROM `history_hourly`
GROUP BY `bucket`, `project`;--> statement-breakpoint
INSERT INTO `history_daily` (`bucket`, `machine`, `project`, `frames`, `credits`, `render_time_ms`, `errors`)
SELECT (`bucket` / 86400000) * 86400000, `machine`, `project`, sum(`frames`), sum(`credits`), sum(`render_time_ms`), sum(`errors`)
FROM `history_hourly` GROUP BY 1, 2, 3;