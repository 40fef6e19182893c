# One image for every service; docker-compose.yml picks the command per service.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY lib lib
COPY router router
COPY schema schema
COPY subgraphs subgraphs
COPY scripts scripts
COPY tsconfig.json ./
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
ENV NODE_ENV=development
