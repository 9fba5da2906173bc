ALTER TABLE `users` ADD `is_admin` integer DEFAULT false NOT NULL;--> statement-breakpoint
-- Before this migration the only user was the admin created at first start.
UPDATE `users` SET `is_admin` = true;
