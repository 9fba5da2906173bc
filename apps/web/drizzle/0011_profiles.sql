CREATE TABLE `machine_overrides` (
	`machine_id` text PRIMARY KEY NOT NULL,
	`limits` text NOT NULL,
	`rules` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`machine_id`) REFERENCES `machines`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `profile_assignments` (
	`kind` text NOT NULL,
	`target` text NOT NULL,
	`profile_id` integer NOT NULL,
	`assigned_at` integer NOT NULL,
	`assigned_by` text NOT NULL,
	PRIMARY KEY(`kind`, `target`),
	FOREIGN KEY (`profile_id`) REFERENCES `profiles`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `profile_assignments_profile` ON `profile_assignments` (`profile_id`);--> statement-breakpoint
CREATE TABLE `profiles` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`limits` text NOT NULL,
	`rules` text NOT NULL,
	`created_at` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	`updated_by` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `profiles_name_unique` ON `profiles` (`name`);--> statement-breakpoint
ALTER TABLE `desired_config` ADD `rules` text;