console.error('flock-agent: not implemented yet (issue "Agent: a complete SheepIt client").');
process.exit(1);
