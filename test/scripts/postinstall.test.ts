import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { currentLibc, edrBindingPackage } from '../../scripts/postinstall.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
// EDR 0.22's own list, as its package.json has it.
const optional = Object.fromEntries([
  'darwin-arm64', 'darwin-x64', 'linux-arm64-gnu', 'linux-arm64-musl', 'linux-x64-gnu', 'linux-x64-musl', 'win32-x64-msvc',
].map((target) => [`@nomicfoundation/edr-${target}`, '0.22.0']));

describe('scripts/postinstall', () => {
  const cases: [string, string, 'glibc' | 'musl' | null, string][] = [
    ['linux', 'x64', 'glibc', 'linux-x64-gnu'],
    ['linux', 'x64', 'musl', 'linux-x64-musl'],
    ['linux', 'arm64', 'glibc', 'linux-arm64-gnu'],
    ['linux', 'arm64', 'musl', 'linux-arm64-musl'],
    ['darwin', 'arm64', null, 'darwin-arm64'],
    ['darwin', 'x64', null, 'darwin-x64'],
    ['win32', 'x64', null, 'win32-x64-msvc'],
  ];
  for (const [platform, arch, libc, target] of cases) {
    it(`picks EDR's package for ${platform}-${arch}${libc ? ` (${libc})` : ''}`, () => {
      expect(edrBindingPackage(optional, platform, arch, libc)).to.deep.equal({ name: `@nomicfoundation/edr-${target}`, version: '0.22.0' });
    });
  }

  it('names the platform and the packages EDR has when none fits', () => {
    expect(() => edrBindingPackage(optional, 'freebsd', 'x64', null)).to.throw(/no native package for freebsd-x64 among its optionalDependencies: @nomicfoundation\/edr-darwin-arm64,/);
    expect(() => edrBindingPackage(optional, 'win32', 'arm64', null)).to.throw(/win32-arm64/);
  });

  it('knows this machine\'s libc and finds its package in the installed EDR', () => {
    const libc = currentLibc();
    if (process.platform === 'linux') expect(libc).to.be.oneOf(['glibc', 'musl']);
    else expect(libc).to.equal(null);
    const edr = JSON.parse(readFileSync(`${root}/node_modules/@nomicfoundation/edr/package.json`, 'utf8'));
    const pkg = edrBindingPackage(edr.optionalDependencies, process.platform, process.arch, libc);
    expect(pkg.version).to.equal(edr.version);
  });

  it('is a no-op with one line when EDR loads', () => {
    const run = spawnSync(process.execPath, ['scripts/postinstall.mjs'], { cwd: root, encoding: 'utf8' });
    expect(run.status).to.equal(0);
    expect(run.stderr).to.equal('');
    expect(run.stdout).to.equal(`postinstall: @nomicfoundation/edr loads on Node ${process.version}, nothing to do\n`);
  });
});
