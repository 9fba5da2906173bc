// `npm start`: the whole fleet on this machine. The farm, agent and console land in their own
// issues; until then this says plainly what is there.
console.log('Flock: the packages are installed and type-checked.');
console.log(
  'Not there yet: the sandbox farm (apps/farm), the agent (apps/agent) and the console (apps/web).',
);
