/** The CAM API release this server speaks and clients expect (`ElasticBox-Release`). */
export const RELEASE = '4.0';
