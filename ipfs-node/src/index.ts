export { startIpfsNode, type IpfsNode, type IpfsNodeOptions } from "./server.ts";
