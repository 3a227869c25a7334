export { OperatorGateway } from './operator-gateway.js';
export { serveOperatorSockets, type OperatorSocketsOptions } from './operator-sockets.js';
