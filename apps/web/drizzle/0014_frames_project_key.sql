-- Frames name their project by its history key (an integer) instead of its name. Migrations run in one
-- transaction with foreign keys on: the thumbnails are set aside while the old table is dropped.
INSERT INTO `history_projects` (`name`)
	SELECT DISTINCT `project` FROM `frames` WHERE `project` NOT IN (SELECT `name` FROM `history_projects`);
--> statement-breakpoint
CREATE TABLE `__new_frames` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`machine` integer NOT NULL,
	`job_id` text NOT NULL,
	`project` integer NOT NULL,
	`frame` integer NOT NULL,
	`render_time_ms` integer NOT NULL,
	`credits` real,
	`finished_at` integer NOT NULL,
	`phases` text,
	FOREIGN KEY (`machine`) REFERENCES `history_machines`(`key`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`project`) REFERENCES `history_projects`(`key`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_frames` (`id`, `machine`, `job_id`, `project`, `frame`, `render_time_ms`, `credits`, `finished_at`, `phases`)
	SELECT `frames`.`id`, `machine`, `job_id`, `history_projects`.`key`, `frame`, `render_time_ms`, `credits`, `finished_at`, `phases`
	FROM `frames` JOIN `history_projects` ON `history_projects`.`name` = `frames`.`project`
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
