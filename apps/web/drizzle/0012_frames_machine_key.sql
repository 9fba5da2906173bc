-- Frames name their machine by its history key (an integer) instead of its 36-character id, in the row
-- and in the per-machine index, which now serves every reader (frames_finished goes). Migrations run in
-- one transaction with foreign keys on: the thumbnails are set aside while the old table is dropped.
INSERT INTO `history_machines` (`machine_id`, `name`)
	SELECT DISTINCT `frames`.`machine_id`, coalesce(`machines`.`name`, `frames`.`machine_id`)
	FROM `frames` LEFT JOIN `machines` ON `machines`.`id` = `frames`.`machine_id`
	WHERE `frames`.`machine_id` NOT IN (SELECT `machine_id` FROM `history_machines`);
--> statement-breakpoint
CREATE TABLE `__new_frames` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`machine` integer NOT NULL,
	`job_id` text NOT NULL,
	`project` text NOT NULL,
	`frame` integer NOT NULL,
	`render_time_ms` integer NOT NULL,
	`credits` real,
	`finished_at` integer NOT NULL,
	`phases` text,
	FOREIGN KEY (`machine`) REFERENCES `history_machines`(`key`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_frames` (`id`, `machine`, `job_id`, `project`, `frame`, `render_time_ms`, `credits`, `finished_at`, `phases`)
	SELECT `frames`.`id`, `history_machines`.`key`, `job_id`, `project`, `frame`, `render_time_ms`, `credits`, `finished_at`, `phases`
	FROM `frames` JOIN `history_machines` ON `history_machines`.`machine_id` = `frames`.`machine_id`
	ORDER BY `frames`.`id`;
--> statement-breakpoint
-- Frame ids are not reused: the new table goes on from where the old one's numbering was.
UPDATE `sqlite_sequence` SET `seq` = max(`seq`, (SELECT `seq` FROM `sqlite_sequence` WHERE `name` = 'frames'))
	WHERE `name` = '__new_frames';
--> statement-breakpoint
CREATE TABLE `__kept_thumbnails` AS SELECT * FROM `frame_thumbnails`;
--> statement-breakpoint
DROP TABLE `frames`;
--> statement-breakpoint
ALTER TABLE `__new_frames` RENAME TO `frames`;
--> statement-breakpoint
CREATE INDEX `frames_machine_finished` ON `frames` (`machine`,`finished_at`);
--> statement-breakpoint
INSERT INTO `frame_thumbnails` (`frame_id`, `machine_id`, `thumbnail`)
	SELECT `frame_id`, `machine_id`, `thumbnail` FROM `__kept_thumbnails`;
--> statement-breakpoint
DROP TABLE `__kept_thumbnails`;
--> statement-breakpoint
-- The fleet's rows for all projects together (machine key -1, project 0): one row per hour and per
-- day, which the fleet's series read instead of one row per hour and project.
INSERT INTO `history_hourly` (`bucket`, `machine`, `project`, `frames`, `credits`, `render_time_ms`, `errors`, `online_ms`)
	SELECT `bucket`, -1, 0, sum(`frames`), sum(`credits`), sum(`render_time_ms`), sum(`errors`), sum(`online_ms`)
	FROM `history_hourly` WHERE `machine` = 0 GROUP BY `bucket`;
--> statement-breakpoint
INSERT INTO `history_daily` (`bucket`, `machine`, `project`, `frames`, `credits`, `render_time_ms`, `errors`, `online_ms`)
	SELECT `bucket`, -1, 0, sum(`frames`), sum(`credits`), sum(`render_time_ms`), sum(`errors`), sum(`online_ms`)
	FROM `history_daily` WHERE `machine` = 0 GROUP BY `bucket`;
