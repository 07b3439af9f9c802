// The facts of a Linux root other than fstab and packages (see distro.ts).
export { linuxFacts, type LinuxFacts } from './distro.js';
