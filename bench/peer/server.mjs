// node-oidc-provider as the DCR peer of `make bench-peer`: registration and registration
// management on, client_credentials on, everything kept in process memory.
//
//   PORT=8123 node server.mjs        (bench/__main__.py copies it next to its node_modules)
//
// The package's own MemoryAdapter is an LRU capped at 1000 entries, which a benchmark run
// overflows (evicted clients answer 401). MapAdapter below is the same idea without the cap.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT || 8123);
const issuer = `http://127.0.0.1:${port}`;

const store = new Map(); // key -> { payload, expiresAt }

function live(key) {
  const entry = store.get(key);
  if (!entry) return undefined;
  if (entry.expiresAt && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.payload;
}

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : 0;
    store.set(this.key(id), { payload, expiresAt });
    if (payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const members = store.get(grantKey)?.payload ?? [];
      members.push(this.key(id));
      store.set(grantKey, { payload: members, expiresAt: 0 });
    }
    if (payload.uid) store.set(`uid:${payload.uid}`, { payload: id, expiresAt });
    if (payload.userCode) store.set(`userCode:${payload.userCode}`, { payload: id, expiresAt });
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = live(`uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode) {
    const id = live(`userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    for (const key of store.get(grantKey)?.payload ?? []) store.delete(key);
    store.delete(grantKey);
  }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    registration: { enabled: true, initialAccessToken: false },
    // Rotation of the registration access token (node-oidc-provider applies it on PUT only).
    registrationManagement: { enabled: true, rotateRegistrationAccessToken: true },
  },
  cookies: { keys: ['bench-only-cookie-key-not-a-secret'] },
});

// The runtime's own floor, like /bench/trivial on the Django side.
provider.use(async (ctx, next) => {
  if (ctx.path === '/bench/trivial') {
    ctx.body = { ok: true };
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`peer listening on ${issuer}`);
});
