/*
 * Preloaded into the tslab kernel (kernels/tslab/start-kernel.sh): serialises sends on each ZeroMQ socket.
 * Why: zeromq.js 6 throws "Socket is busy writing; only one send operation may be in progress at any time" (EBUSY)
 * when a send starts while the previous one on the same socket is still pending, and tslab never awaits its sends.
 * Under heavy CPU load (a long training cell drawing a progress bar while Jupyter polls the kernel) the iopub socket
 * stays busy long enough for that to happen, the error is thrown from tslab's message handler and the kernel dies
 * (measured here: notebook 08 in full mode, load average 6 on 2 cores). Chaining each socket's sends keeps their order
 * and never overlaps them; a failed send is reported on stderr instead of killing the kernel.
 */
'use strict';
const path = require('path');

/** Each socket's last pending send (sockets are sealed objects, so the chain cannot live on them). */
const chains = new WeakMap();

function patch() {
  let zmq;
  try {
    const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [process.cwd()] }));
    zmq = require(require.resolve('zeromq', { paths: [tslabDir] }));
  } catch (err) {
    process.stderr.write(`compact-nets kernel: zeromq not found, sends are not serialised (${err && err.message})\n`);
    return;
  }
  // Not Reply (the heartbeat): its strict send/receive alternation must not be deferred.
  for (const name of ['Publisher', 'Router']) {
    const cls = zmq[name];
    if (!cls || typeof cls.prototype.send !== 'function' || cls.prototype.send.compactNetsSerial) continue;
    const original = cls.prototype.send;
    const serial = function (message) {
      const previous = chains.get(this) || Promise.resolve();
      const next = previous.then(() => original.call(this, message)).catch((err) => {
        process.stderr.write(`compact-nets kernel: a ZeroMQ send failed: ${err && err.message}\n`);
      });
      chains.set(this, next);
      return next;
    };
    serial.compactNetsSerial = true;
    Object.defineProperty(cls.prototype, 'send', { value: serial, writable: true, configurable: true });
  }
}

patch();
