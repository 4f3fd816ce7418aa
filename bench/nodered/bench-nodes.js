// Bench-only Node-RED nodes: a source the worker drives and a sink that counts, in the worker's process.
module.exports = function (RED) {
  function BenchSource(config) {
    RED.nodes.createNode(this, config);
    globalThis.__benchSources = globalThis.__benchSources || {};
    globalThis.__benchSources[config.name || this.id] = (msg) => this.send(msg);
  }
  RED.nodes.registerType('bench-source', BenchSource);
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    const name = config.name || this.id;
    this.on('input', (msg, send, done) => {
      const sink = globalThis.__benchSinks && globalThis.__benchSinks[name];
      if (sink) sink(msg);
      done();
    });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
