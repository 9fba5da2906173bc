ALTER TABLE `machines` ADD `hwid` text;--> statement-breakpoint
CREATE INDEX `machines_hwid` ON `machines` (`hwid`);