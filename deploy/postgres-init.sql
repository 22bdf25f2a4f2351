-- one database per service: no service reads another's tables
CREATE DATABASE reception;
CREATE DATABASE workshop;
CREATE DATABASE parts;
CREATE DATABASE warranty;
CREATE DATABASE crm;
