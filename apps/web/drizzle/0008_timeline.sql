CREATE TABLE `idle_spans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`machine_id` text NOT NULL,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`status` text NOT NULL,
	`reason` text,
	FOREIGN KEY (`machine_id`) REFERENCES `machines`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `idle_spans_machine_started` ON `idle_spans` (`machine_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `idle_spans_ended` ON `idle_spans` (`ended_at`);--> statement-breakpoint
ALTER TABLE `frames` ADD `phases` text;