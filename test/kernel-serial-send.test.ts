/** tools/tslab-serial-send.js (preloaded by the kernel): sends on one socket are chained, in order, and never throw. */
import { strict as assert } from 'assert';
import * as path from 'path';
import { REPO_ROOT } from './support/paths';


describe('kernel preload: serialised ZeroMQ sends', function () {
  this.timeout(30000);

  it('wraps Publisher and Router send, keeps the Reply heartbeat untouched, and delivers a burst in order', async () => {
    require(path.join(REPO_ROOT, 'tools', 'tslab-serial-send.js'));
    const tslabDir = path.dirname(require.resolve('tslab/package.json', { paths: [REPO_ROOT] }));
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const zmq = require(require.resolve('zeromq', { paths: [tslabDir] }));
    assert.equal(zmq.Publisher.prototype.send.compactNetsSerial, true);
    assert.equal(zmq.Router.prototype.send.compactNetsSerial, true);
    assert.notEqual(zmq.Reply.prototype.send.compactNetsSerial, true);
    const pub = new zmq.Publisher();
    const sub = new zmq.Subscriber();
    await pub.bind('tcp://127.0.0.1:*');
    sub.connect(pub.lastEndpoint);
    sub.subscribe();
    await new Promise((r) => setTimeout(r, 300)); // let the subscription reach the publisher
    const n = 200;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) sends.push(pub.send(['topic', JSON.stringify({ i, pad: 'x'.repeat(4096) })])); // no awaits
    await Promise.all(sends);
    const got: number[] = [];
    while (got.length < n) {
      const [, body] = await sub.receive();
      got.push(JSON.parse(body.toString()).i);
    }
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => i));
    pub.close();
    sub.close();
  });
});
