// A program for the TUI tests: the real TUI over a state whose one VM cannot be read (its memslots and
// vCPUs throw, as a corrupt or filtered dump makes them), to show that such failures are messages.
import { runTui } from '../../src/tui/app.js';
import { TuiState } from '../../src/tui/state.js';

const st = Object.create(TuiState.prototype) as TuiState;
Object.assign(st, {
  vms: [{ addr: 0xffff888000001000n, kvm: {}, owners: [{ pid: 4242, comm: 'broken-vmm', via: 'fd' }], onlineVcpus: 1, memslots: 0, memoryBytes: 0n, perAs: [], errors: [] }],
  notes: [],
  selected: 0,
  asId: 0,
  contexts: new Map(),
  spaceCache: new Map(),
  vcpuCache: new Map(),
  views: new Map(),
  coverage: new Map(),
  vcpuIndex: 0,
  options: {},
  kernel: undefined,
});
st.spaces = () => {
  throw new Error('kvm->memslots[0] at 0xffff888000001488: physical page 0x1234000 was excluded from this dump');
};
st.vcpus = () => {
  throw new Error('the vCPUs of VM 0xffff888000001000 cannot be read: vcpu_array is corrupt');
};
runTui(st, { dump: 'broken.vmcore', release: 'test', types: 'none' }).then((code) => {
  process.exitCode = code;
});
