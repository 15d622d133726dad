// A real OpenID Connect provider (the npm package oidc-provider) for the tests, on loopback only.
//
// The pytest fixture starts `node server.mjs` with one JSON argument:
//   {"port": 0, "client": {"client_id", "client_secret", "redirect_uris": [...]},
//    "accounts": {"<sub>": {"email", "email_verified", "name"}},
//    "jwks": {"keys": [<private JWK with kid>]}}
// and reads "listening <port>" from the first line of stdout. Its login page is oidc-provider's
// own development form (prompt=login, login, password; the password is not checked): the login
// is the subject, and names an entry of "accounts" whose claims go into the ID token.
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const host = '127.0.0.1';

const server = http.createServer();
await new Promise((resolve) => { server.listen(config.port || 0, host, resolve); });
const { port } = server.address();
const issuer = `http://${host}:${port}`;

const accounts = config.accounts || {};

const provider = new Provider(issuer, {
  clients: [{
    ...config.client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: config.jwks,
  cookies: { keys: ['loopback-test-provider-cookie-key'] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  pkce: { required: () => true, methods: ['S256'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, login) {
    const account = accounts[login];
    if (!account) return undefined;
    return {
      accountId: login,
      async claims() {
        return { ...account, sub: login };
      },
    };
  },
  conformIdTokenClaims: false,
  ttl: { IdToken: 600, AccessToken: 600, AuthorizationCode: 60, Interaction: 600, Session: 600, Grant: 600 },
});

server.on('request', provider.callback());
process.stdout.write(`listening ${port}\n`);

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
