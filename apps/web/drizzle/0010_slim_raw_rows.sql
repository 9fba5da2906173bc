CREATE TABLE `event_origins` (
	`machine_id` text NOT NULL,
	`boot_id` text NOT NULL,
	`seq` integer NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`machine_id`, `boot_id`),
	FOREIGN KEY (`machine_id`) REFERENCES `machines`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
-- The newest stored seq of every boot the events kept, so replays of them are still recognised.
INSERT INTO `event_origins` (`machine_id`, `boot_id`, `seq`, `at`)
	SELECT `machine_id`, `boot_id`, max(`seq`), max(`at`) FROM `events` GROUP BY `machine_id`, `boot_id`;
--> statement-breakpoint
-- Frame events repeat what their frames rows hold: the frames rows stay, the copies go.
DELETE FROM `events` WHERE `kind` IN ('frame-done', 'frame-credits');
--> statement-breakpoint
CREATE TABLE `frame_thumbnails` (
	`frame_id` integer PRIMARY KEY NOT NULL,
	`machine_id` text NOT NULL,
	`thumbnail` text NOT NULL,
	FOREIGN KEY (`frame_id`) REFERENCES `frames`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`machine_id`) REFERENCES `machines`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `frame_thumbnails_machine` ON `frame_thumbnails` (`machine_id`,`frame_id`);
--> statement-breakpoint
-- The thumbnails the frames kept move to their own table before the column goes.
INSERT INTO `frame_thumbnails` (`frame_id`, `machine_id`, `thumbnail`)
	SELECT `id`, `machine_id`, `thumbnail` FROM `frames` WHERE `thumbnail` IS NOT NULL;
--> statement-breakpoint
ALTER TABLE `frames` DROP COLUMN `thumbnail`;
--> statement-breakpoint
-- Job phases in the compact form (apps/web/src/server/db/phase-spans.ts): the first start, then per
-- phase its rank, the time from the previous phase's end to its start, and its length.
UPDATE `frames` SET `phases` = (
	SELECT json_group_array(`v` ORDER BY `k`, `j`) FROM (
		SELECT -1 AS `k`, 0 AS `j`, json_extract(`frames`.`phases`, '$[0].startedAt') AS `v`
		UNION ALL
		SELECT `key`, 1, CASE json_extract(`value`, '$.phase')
			WHEN 'download' THEN 0 WHEN 'extract' THEN 1 WHEN 'prepare' THEN 2 WHEN 'render' THEN 3 WHEN 'upload' THEN 4 END
		FROM json_each(`frames`.`phases`)
		UNION ALL
		SELECT `key`, 2, json_extract(`value`, '$.startedAt') - coalesce(
			lag(json_extract(`value`, '$.endedAt')) OVER (ORDER BY `key`), json_extract(`value`, '$.startedAt'))
		FROM json_each(`frames`.`phases`)
		UNION ALL
		SELECT `key`, 3, json_extract(`value`, '$.endedAt') - json_extract(`value`, '$.startedAt')
		FROM json_each(`frames`.`phases`)
	)
) WHERE json_type(`phases`, '$[0]') = 'object';
