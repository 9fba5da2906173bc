DROP INDEX `frames_state`;--> statement-breakpoint
CREATE INDEX `frames_queue` ON `frames` (`state`,`project_id`,`number`);