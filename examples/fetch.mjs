// A fetch-style handler (the shape Hono and other Web-standard frameworks export):
//   npx uwsgi-ts --socket /tmp/app.sock examples/fetch.mjs
// The second argument holds the uwsgi vars that nginx sent.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (request.method === 'POST') {
      // Bodies stream both ways: this echoes the upload back as it arrives.
      return new Response(request.body, { headers: { 'content-type': 'application/octet-stream' } });
    }
    return Response.json({ path: url.pathname, client: env.get('REMOTE_ADDR') });
  },
};
