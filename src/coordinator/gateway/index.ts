export { OperatorGateway } from './operator-gateway.js';
