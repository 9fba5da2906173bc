CREATE TABLE `job_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`login` text NOT NULL,
	`compute_method` integer NOT NULL,
	`cores` integer,
	`ram_max_kib` integer NOT NULL,
	`rendertime_max_seconds` integer NOT NULL,
	`gpu` text,
	`status` integer NOT NULL,
	`job_id` integer,
	`created_at` integer NOT NULL
);
