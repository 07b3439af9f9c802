// jinspect: virt-inspector's job, host-side. Not built yet: this stub keeps the bin entry honest.
import { notBuilt, runCli } from './cli.js';

await runCli('jinspect', notBuilt('jinspect', 3));
