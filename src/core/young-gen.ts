// A long transfer (tar-out of a guest's /usr, a large download) makes short-lived buffers
// faster than anything else joot does; V8 answers by growing its young generation to 16 MiB
// semi-spaces, ~20 MiB more peak RSS for no gain. Capping it for the whole run
// (--max-semi-space-size=1) costs every short run ~15% more instructions in scavenges, so the
// transfers stop its growth when they start instead: V8 reads this flag each time it grows
// the space. node:v8 takes ~8 ms to load: only transfers that outlast that pay it.
let limited = false;

export async function stopYoungGenerationGrowth(): Promise<void> {
  if (limited) return;
  limited = true;
  const v8 = await import('node:v8');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
