console.error('flock-farm: not implemented yet (issue "Sandbox farm").');
process.exit(1);
