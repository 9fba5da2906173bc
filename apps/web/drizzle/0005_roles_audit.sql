CREATE TABLE `audit_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`user_id` integer,
	`username` text NOT NULL,
	`action` text NOT NULL,
	`params` text NOT NULL,
	`outcome` text NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_entries_at` ON `audit_entries` (`at`);--> statement-breakpoint
CREATE INDEX `audit_entries_user` ON `audit_entries` (`username`,`at`);--> statement-breakpoint
CREATE TABLE `audit_machines` (
	`entry_id` integer NOT NULL,
	`machine_id` text NOT NULL,
	`machine_name` text,
	FOREIGN KEY (`entry_id`) REFERENCES `audit_entries`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `audit_machines_machine` ON `audit_machines` (`machine_id`,`entry_id`);--> statement-breakpoint
CREATE INDEX `audit_machines_entry` ON `audit_machines` (`entry_id`);--> statement-breakpoint
ALTER TABLE `users` ADD `role` text DEFAULT 'operator' NOT NULL;--> statement-breakpoint
-- Admins stay admins; every other user could control machines before roles, so becomes an operator.
UPDATE `users` SET `role` = 'admin' WHERE `is_admin` = true;--> statement-breakpoint
ALTER TABLE `users` DROP COLUMN `is_admin`;
