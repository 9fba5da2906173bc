CREATE TABLE `accounts` (
	`login` text PRIMARY KEY NOT NULL,
	`password` text NOT NULL,
	`public_key` text NOT NULL,
	`credits` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `error_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text,
	`login` text,
	`job_id` integer,
	`frame` text,
	`type` integer,
	`render_time_seconds` integer,
	`memory_used_kib` integer,
	`log` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `frames` (
	`project_id` integer NOT NULL,
	`number` integer NOT NULL,
	`state` text DEFAULT 'waiting' NOT NULL,
	`job_id` integer,
	`failed_uploads` integer DEFAULT 0 NOT NULL,
	`image_file` text,
	`done_by` text,
	`done_at` integer,
	`render_time_seconds` integer,
	PRIMARY KEY(`project_id`, `number`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `frames_state` ON `frames` (`state`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` integer PRIMARY KEY NOT NULL,
	`project_id` integer NOT NULL,
	`frame` integer NOT NULL,
	`session_id` text NOT NULL,
	`state` text DEFAULT 'assigned' NOT NULL,
	`created_at` integer NOT NULL,
	`ended_at` integer,
	`end_reason` text,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `jobs_session_state` ON `jobs` (`session_id`,`state`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`renderer` text NOT NULL,
	`blend_path` text NOT NULL,
	`archive_file` text NOT NULL,
	`archive_md5` text NOT NULL,
	`archive_password` text NOT NULL,
	`encryption` text NOT NULL,
	`engine` text NOT NULL,
	`width` integer NOT NULL,
	`height` integer NOT NULL,
	`samples` integer NOT NULL,
	`frame_start` integer NOT NULL,
	`frame_end` integer NOT NULL,
	`state` text DEFAULT 'active' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`login` text NOT NULL,
	`state` text DEFAULT 'alive' NOT NULL,
	`created_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`ended_at` integer,
	`hostname` text,
	`os` text NOT NULL,
	`client_version` text NOT NULL,
	`cpu_model_name` text NOT NULL,
	`cpu_cores` integer NOT NULL,
	`ram_kib` integer NOT NULL,
	`paused` integer DEFAULT false NOT NULL,
	`credits_session` integer DEFAULT 0 NOT NULL,
	`speedtest` text
);
